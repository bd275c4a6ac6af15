"""Person names: runs of capitalised words judged by cue words and name lexicons.

A run is a sequence of capitalised words (with name particles such as 'de', 'da', 'van'
between them) on one line. It is a name when a cue precedes it ('Sr.', 'paciente', 'his wife'),
when it holds a known given name or surname, or when it has two or more capitalised words that
are neither clinical vocabulary nor a country or region. Words of the not-names lexicon
(drugs, scales, eponyms, services, common sentence words) never join a run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .common import is_common
from .config import UPPER, fold, scrub_rules, trie_regex
from .findings import Finding
from .lexicon import Lexicon, lexicon

WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
POSSESSIVE = re.compile(r"['’]s$")
SENTENCE_END = re.compile(r"(?:[.!?:;•\n\r\t*-]|^)\s*[\"'“(¿¡]*\s*$")
NAME_PRIORITY = 50
LOCATION_PRIORITY = 45
CUE_WINDOW = 40
MIN_LOWER = 4
MIN_UPPER = 5
NAME_GAP = re.compile(
    rf"^[ ](?:[{UPPER}]{{1,4}}|(?i:de|del|da|do|dos|le|la|el|van|von|di|du))[ ]$")
LOWER_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
CAPS = f"[{UPPER}][\\w'’-]*"
HEAD_BEFORE = re.compile(r"([^\W\d_]+)\s+(?:de|do|da|of|d['’]|del|von)\s*$")
HEAD_AFTER = re.compile(r"(?:['’]s?)?[\s-]+([^\W\d_]+)")
EPONYM_AFTER_HEAD = re.compile(
    rf"(?<![\w-])([^\W\d_]+)\s+(?:de|do|da|of|d['’]|del|von)\s*({CAPS}(?:[ -]{CAPS})?)")
PARTICLE_BEFORE = re.compile(
    r"(?<![\w.])(?:El|Al|Le|La|Lo|Los|Las|Les|Da|Do|Dos|Das|De|Del|Du|Van|Von|Di|Ben) $")
PRODUCT_SUFFIX = re.compile(r"-[A-Z0-9](?![\w-])")
HONORIFIC_BEFORE = re.compile(r"(?<![\w.])([^\W\d_]+)\.? $")
ACRONYM_BEFORE = re.compile(r"(?<![\w.])(?:[A-Z]|[A-Z][A-Za-z]{0,4}[A-Z][A-Za-z]{0,4}) $")
EXPANSION = re.compile(r" \(([^\W\d_][^()]{2,80})\)")
EPONYM_BEFORE_HEAD = re.compile(rf"({CAPS}(?: {CAPS})?)(?:['’]s?)?[\s-]+([^\W\d_]+)")


@dataclass
class Word:
    start: int
    end: int
    text: str
    key: str  # folded, possessive stripped


def _words(text: str) -> list[Word]:
    words = []
    for m in WORD.finditer(text):
        token = m.group()
        end = m.end()
        stripped = POSSESSIVE.sub("", token)
        if stripped != token and len(stripped) > 1:
            end -= len(token) - len(stripped)
        words.append(Word(m.start(), end, stripped, fold(stripped)))
    return words


def _is_initial(text: str, w: Word) -> bool:
    """'J.' in 'Juan B. Justo', or the 'T' of 'T-Bone'."""
    return len(w.text) == 1 and w.text.isupper() and text[w.end:w.end + 1] in (".", "-")


def _parts(w: Word) -> list[str]:
    return [w.key, *w.key.replace("’", "'").split("'")]


def _known(w: Word, lex: Lexicon) -> bool:
    return any(p in lex.any_name for p in _parts(w))


def _glued(text: str, w: Word) -> bool:
    """Part of an alphanumeric token ('HbA1c', 'B12', 'Heplisav-B') or a short slash pair
    ('Ag/Ab')."""
    before, after = text[w.start - 1:w.start] if w.start else "", text[w.end:w.end + 1]
    if before.isdigit() or after.isdigit() or PRODUCT_SUFFIX.match(text, w.end):
        return True
    return len(w.text) <= 3 and "/" in (before, after)


def _after_honorific(text: str, w: Word, lex: Lexicon) -> bool:
    """'Sra. Eufemia', 'Mamadou Lamine': right after an honorific or a word that can only be a
    name, a capitalised word is a name whatever its ending."""
    match = HONORIFIC_BEFORE.search(text, max(0, w.start - 20), w.start)
    if match is None:
        return False
    word, key = match.group(1), fold(match.group(1))
    if key in lex.honorifics:
        return True
    return word[0].isupper() and len(word) >= MIN_LOWER - 1 and key not in lex.not_names \
        and not is_common(key) and not key.endswith(lex.clinical_suffixes)


def _after_acronym(text: str, w: Word) -> bool:
    """'HCV Ab', 'Hep C Ag': a short word written after capitals is a test's part, not a name."""
    if len(w.text) > 3 or w.text.isupper():
        return False
    return ACRONYM_BEFORE.search(text[max(0, w.start - 8):w.start]) is not None


def _inner_capital(w: Word, lex: Lexicon) -> bool:
    """'GeneXpert', 'PEth', 'HBeAg': capitals inside a word mark a term, unless 'McLeod'."""
    letters = w.text
    if len(letters) >= 3 and letters[:2].isupper() and any(c.islower() for c in letters[2:]):
        return True
    for i in range(1, len(letters)):
        if letters[i].isupper() and letters[i - 1].islower():
            return fold(letters[:i]) not in lex.name_prefixes
    return False


def _candidate(text: str, w: Word, lex: Lexicon) -> bool:
    if _is_initial(text, w):
        return True
    if len(w.text) < 2 or not w.text[0].isupper() or w.key in lex.honorifics:
        return False
    if w.key in lex.eponyms:
        return True  # judged with its neighbours: 'Tobias Crohn' is a name, 'Crohn' alone not
    if w.key in lex.not_names or _glued(text, w) or _inner_capital(w, lex):
        return False
    if _after_acronym(text, w):
        return False
    if w.key.endswith(lex.clinical_suffixes) and w.key not in lex.any_name \
            and not _after_honorific(text, w, lex):
        return False  # 'Hepatitis', 'Clonazepam', 'Hipertensión': diagnosis and drug stems
    if w.text.isupper():  # 'QUINTANILLA' is judged with its run; 'EVA' alone is a scale
        if len(w.text) >= MIN_UPPER:
            return _known(w, lex) or not is_common(w.key)
        return _known(w, lex) and _caps_beside(text, w)
    return any(c.islower() for c in w.text)


def _caps_beside(text: str, w: Word) -> bool:
    """A short capitalised word is a name only beside another one ('JOSÉ LUIS'), not 'EVA'."""
    before = re.search(r"([^\W\d_]{2,})[ ]$", text[max(0, w.start - 30):w.start])
    after = re.match(r" ([^\W\d_]{2,})", text[w.end:w.end + 30])
    return any(m is not None and m.group(1).isupper() for m in (before, after))


def in_clinical_context(text: str, start: int, end: int) -> bool:
    """'enfermedad de Wilson', 'Bell's palsy', 'Braden scale': an eponym naming a condition."""
    heads = lexicon().clinical_heads
    before = HEAD_BEFORE.search(text[max(0, start - 40):start])
    after = HEAD_AFTER.match(text[end:end + 30])
    return any(m is not None and fold(m.group(1)) in heads for m in (before, after))


def clinical_spans(text: str) -> list[tuple[int, int]]:
    """Capitalised words that name a condition, scale or sign by the words around them."""
    heads = lexicon().clinical_heads
    spans = []
    for match in EPONYM_AFTER_HEAD.finditer(text):
        if fold(match.group(1)) in heads:
            spans.append((match.start(1), match.end(2)))  # 'Signe de Babinski', head and all
    for match in EPONYM_BEFORE_HEAD.finditer(text):
        if fold(match.group(2)) in heads:
            spans.append(match.span(1))
    return spans


def _protected(words: list[Word], lex: Lexicon) -> set[int]:
    """Indexes of words inside multi-word clinical terms or regions ('Cruz Roja', 'São Paulo')."""
    hidden: set[int] = set()
    for i, w in enumerate(words):
        for phrase in lex.phrases.get(w.key, ()):
            keys = tuple(x.key for x in words[i:i + len(phrase)])
            if keys == phrase:
                hidden.update(range(i, i + len(phrase)))
                break
    return hidden


def _joinable(text: str, left: Word, right: Word) -> bool:
    gap = text[left.end:right.start]
    if "\n" in gap or "\r" in gap:
        return False
    if gap.strip() == ".":
        return _is_initial(text, left)
    return gap.strip() in ("", "-")


def _runs(text: str, words: list[Word], lex: Lexicon) -> list[list[Word]]:
    hidden = _protected(words, lex)
    runs: list[list[Word]] = []
    current: list[Word] = []
    pending: list[Word] = []  # particles waiting for the next capitalised word
    for i, w in enumerate(words):
        prev = (pending or current)[-1] if (pending or current) else None
        joined = prev is not None and _joinable(text, prev, w)
        if i not in hidden and _candidate(text, w, lex):
            if current and joined:
                current.extend(pending)
            elif current:
                runs.append(current)
                current = []
            current.append(w)
            pending = []
        elif current and joined and w.key in lex.particles:
            pending.append(w)  # 'da', or 'Le' in 'Germaine Le Bihan': kept only if a name follows
        elif current and joined and w.key in lex.place_suffixes and w.text[0].isupper():
            current.extend(pending)  # 'Añatuya Sur': a cardinal word closes a place name
            current.append(w)
            pending = []
        else:
            if current:
                runs.append(current)
            current, pending = [], []
    if current:
        runs.append(current)
    return runs


def _cued(text: str, start: int, lex: Lexicon) -> bool:
    before = fold(text[max(0, start - CUE_WINDOW):start]).rstrip()
    before = re.sub(r"[,:(]$", "", before).rstrip()
    before = re.sub(r"\s(?:la|el|o|a|the|le|lo|os|as|los|las)$", "", before)
    match = re.search(r"([\w'.]+)$", before)
    if not match:
        return False
    last = match.group(1)
    bare = last.rstrip(".")
    if bare in lex.honorifics and (len(bare) > 1 or last.endswith(".")):
        return True
    return _cue_at_end(lex.cues).search(before) is not None


@cache
def _cue_at_end(cues: tuple[str, ...]) -> re.Pattern[str]:
    """One search for every cue word, where a cue must end the text and start a word."""
    return re.compile(rf"(?<![^\W_])(?:{trie_regex(cues)})\Z")


def _initials_lead(text: str, run: list[Word]) -> bool:
    """'J.P., 45 años' or 'J.P. es...': initials standing for a person, not 'C.P. 55000'."""
    rest = text[run[-1].end + 1:].lstrip(" ")
    return len(run) >= 2 and bool(rest) and (rest[0] in ",(" or rest[0].islower())


def _sentence_initial(text: str, start: int) -> bool:
    return bool(SENTENCE_END.search(text[max(0, start - 6):start])) or start == 0


def _verdict(text: str, run: list[Word], lex: Lexicon) -> str | None:
    caps = [w for w in run if not _is_initial(text, w)]
    if not caps:
        return "name" if _cued(text, run[0].start, lex) or _initials_lead(text, run) else None
    if in_clinical_context(text, run[0].start, run[-1].end):
        return None
    if _cued(text, run[0].start, lex) or _honorific_initial(text, run, lex):
        return "name"
    if len(caps) == 1 and _spelled_out(text, caps[0]):
        return None  # 'ELSA (équipe de liaison et de soins en addictologie)': an acronym
    if all(w.key in lex.eponyms or w.key in lex.not_names for w in caps):
        return None  # 'Crohn', 'Guillain-Barré': an eponym alone names a condition
    if all(w.text.isupper() for w in caps):
        return "name" if any(_known(w, lex) for w in caps) else None
    if len(caps) >= 2 and caps[-1].key in lex.place_suffixes:
        return "location"
    if " ".join(w.key for w in caps) in lex.regions:
        return None
    parts = [p for w in caps for p in _parts(w)]
    if any(p in lex.given or p in lex.surnames for p in parts):
        return "name"
    if len(caps) >= 2 and caps[0].key in lex.place_prefixes:
        return "location"
    ambiguous = any(p in lex.given_ambiguous or p in lex.surnames_ambiguous for p in parts)
    if ambiguous and len(caps) >= 2:
        return "name"
    if all(is_common(w.key) for w in caps):
        return None  # title-cased everyday words: 'Behavioral Health', 'Low Mood'
    if len(caps) >= 2 or not _sentence_initial(text, run[0].start):
        return "name"  # capitalised and not vocabulary: a proper noun
    return "name" if not ambiguous and _verb_follows(text, run[-1], lex) else None


def _honorific_initial(text: str, run: list[Word], lex: Lexicon) -> bool:
    """'M. Ouattara', 'D. Fermín': an abbreviated honorific opens the run."""
    first = run[0]
    return len(run) >= 2 and _is_initial(text, first) and first.key in lex.honorifics \
        and text[first.end:first.end + 1] == "."


def _spelled_out(text: str, w: Word) -> bool:
    """An acronym followed by its expansion in brackets, its letters the words' initials."""
    match = EXPANSION.match(text, w.end)
    if not w.text.isupper() or match is None:
        return False
    initials = iter(fold(word[0]) for word in WORD.findall(match.group(1)))
    return all(letter in initials for letter in fold(w.text))


def _verb_follows(text: str, last: Word, lex: Lexicon) -> bool:
    """'Océane refiere...': an unknown word opening a sentence, then a reporting verb."""
    match = WORD.match(text, last.end + 1) if text[last.end:last.end + 1] == " " else None
    return match is not None and fold(match.group()) in lex.verbs


def _trim(text: str, run: list[Word], lex: Lexicon) -> list[Word]:
    while run and run[-1].key in lex.particles and not run[-1].text[0].isupper():
        run = run[:-1]
    return run


@cache
def _cue_pattern() -> re.Pattern[str]:
    cfg = scrub_rules()["names"]
    alternation = trie_regex({c.lower() for c in (*cfg["cues"], *cfg["honorifics"])})
    return re.compile(rf"(?<![\w.])((?i:{alternation}))\.?\s*:?[ \t]+(?=[a-zà-ÿ])")


@cache
def _strong_cues() -> frozenset[str]:
    cfg = scrub_rules()["names"]
    return frozenset(fold(c) for c in (*cfg["honorifics"], *cfg["lowerCaseCues"]))


def _lower_name_words(text: str, start: int, lex: Lexicon, strong: bool) -> int:
    """End of the lower-case name that starts at ``start``, or ``start`` when there is none."""
    end, pending = start, start
    for match in LOWER_WORD.finditer(text, start):
        if text[pending:match.start()].strip(" \t") or match.start() - pending > 2:
            break
        key = fold(match.group())
        if key in lex.particles and end > start:
            pending = match.end()
            continue
        known = key in lex.given or key in lex.surnames or strong and (
            key in lex.given_ambiguous or key in lex.surnames_ambiguous)
        if not (known or strong and lower_name_word(key, lex)):
            break
        end = pending = match.end()
    return end


def lower_name_word(key: str, lex: Lexicon) -> bool:
    """A folded word written in lower case that can still be taken for part of a name."""
    if key in lex.not_names or "'" in key or "’" in key:
        return False
    if key in lex.given or key in lex.surnames:
        return True
    return len(key) >= MIN_LOWER and not is_common(key)


def find_lower_case_names(text: str) -> list[Finding]:
    """'pt name: harlan voskuijlen', 'dra ximena': names typed without capitals after a cue.

    After a cue that introduces a name ('Sr.', 'paciente:') any word that is not everyday
    vocabulary is taken; after a relation ('his wife') only a word of the name lexicons.
    """
    lex = lexicon()
    found = []
    for cue in _cue_pattern().finditer(text):
        strong = fold(cue.group(1)) in _strong_cues()
        end = _lower_name_words(text, cue.end(), lex, strong)
        if end > cue.end():
            found.append(Finding(cue.end(), end, "name", NAME_PRIORITY))
    return found


def _joined(text: str, found: list[Finding]) -> list[Finding]:
    """Two names apart by one short capitalised word are one: 'OSVALDO JAIR BUENROSTRO'."""
    out: list[Finding] = []
    for f in sorted(found, key=lambda f: f.start):
        if out and out[-1].kind == f.kind == "name" and NAME_GAP.match(text[out[-1].end:f.start]):
            out[-1] = Finding(out[-1].start, f.end, "name", NAME_PRIORITY)
        else:
            out.append(f)
    return out


def find_names(text: str) -> list[Finding]:
    return _joined(text, [_with_particle(text, f) for f in _find_names(text)])


def _with_particle(text: str, f: Finding) -> Finding:
    """'Mme El Amrani', 'población Lo Valledor Sur': the capitalised particle before it too."""
    match = PARTICLE_BEFORE.search(text, max(0, f.start - 5), f.start)
    return f if match is None else Finding(match.start(), f.end, f.kind, f.priority)


def _find_names(text: str) -> list[Finding]:
    lex = lexicon()
    found = find_lower_case_names(text) + find_apposition_names(text) + find_nicknames(text)
    for run in _runs(text, _words(text), lex):
        run = _trim(text, run, lex)
        kind = _verdict(text, run, lex) if run else None
        if kind is None:
            continue
        end = run[-1].end + (text[run[-1].end] == "." if _is_initial(text, run[-1]) else 0)
        priority = NAME_PRIORITY if kind == "name" else LOCATION_PRIORITY
        found.append(Finding(run[0].start, end, kind, priority))
    return found


APPOSITION_AGE = re.compile(
    r"\)?\s*[,(]\s*\d{1,3}\s*(?:a\b|anos\b|años\b|ans\b|yo\b|y/o|y\.o\.|years?\b|yrs?\b|"
    r"[MFHmfh]\b)")
NICKNAME = re.compile(rf"({CAPS})\s+[\"“«]\s*([^\W\d_]{{2,}})\s*[\"”»]\s+({CAPS})")
MIN_APPOSITION = 2


def find_apposition_names(text: str) -> list[Finding]:
    """'ilyas el amrani (16 ans', 'JOSÉ DA CRUZ, 52 anos': a name in one case before an age.

    Words are taken back from the age while each could be part of a name (a particle, a name
    of the lexicons, or a word that is neither vocabulary nor a clinical term); two at least.
    """
    lex = lexicon()
    found = []
    for age in APPOSITION_AGE.finditer(text):
        words = list(LOWER_WORD.finditer(text[max(0, age.start() - 80):age.start()]))
        offset = max(0, age.start() - 80)
        start, taken, upper = age.start(), 0, None
        for match in reversed(words):
            gap = text[offset + match.end():start]
            word = match.group()
            if gap.strip(" (") or not (word.islower() or word.isupper()) \
                    or upper not in (None, word.isupper()):
                break
            key = fold(word)
            if key not in lex.particles and not _apposed_name_word(key, lex):
                break
            upper = word.isupper() if key not in lex.particles else upper
            start, taken = offset + match.start(), taken + (key not in lex.particles)
        if taken >= MIN_APPOSITION:
            while fold(text[start:].split(" ", 1)[0]) in lex.particles:
                start = text.index(" ", start) + 1
            found.append(Finding(start, age.start(), "name", NAME_PRIORITY))
    return found


def _apposed_name_word(key: str, lex: Lexicon) -> bool:
    return lower_name_word(key, lex) or key in lex.given_ambiguous \
        or key in lex.surnames_ambiguous or key in lex.eponyms


def find_nicknames(text: str) -> list[Finding]:
    """'Thaddeus "Tad" Kowalczyk': a quoted word between two capitalised words is a name."""
    return [Finding(m.start(), m.end(), "name", NAME_PRIORITY) for m in NICKNAME.finditer(text)]
