"""The survey form of a personal link: plain HTML, radio buttons, no script, no remote asset,
in the link's language (the mentee's)."""

from __future__ import annotations

import html

from registry.services.evaluations.collection import Survey
from registry.services.evaluations.instruments import Instrument, text_in
from registry.services.evaluations.labels import labels

STYLE = ("body{font-family:sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem}"
         "fieldset{margin:1rem 0;border:1px solid #ccc}legend{font-weight:bold}"
         "label{display:block;margin:.2rem 0}button{font-size:1.1rem;padding:.4rem 1.2rem}")


def page(language: str, title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang=\"{html.escape(language)}\"><head>"
            "<meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
            f"<body>{body}</body></html>")


def render_form(found: Survey, action: str) -> str:
    lang = found.link.language
    words = labels(lang)
    sections = "".join(_instrument(n, i, lang) for n, i in enumerate(found.instruments))
    title = " / ".join(text_in(i.title, lang) for i in found.instruments)
    return page(lang, title, f"<h1>{html.escape(title)}</h1>"
                f"<p>{html.escape(words['form_intro'])}</p>"
                f"<form method=\"post\" action=\"{html.escape(action)}\">{sections}"
                f"<button type=\"submit\">{html.escape(words['submit'])}</button></form>")


def _instrument(n: int, instrument: Instrument, lang: str) -> str:
    e = html.escape
    parts = [f"<h2>{e(text_in(instrument.title, lang))}</h2>"]
    for item in instrument.items:
        name = f"{n}:{item.link_id}"
        options = "".join(
            f"<label><input type=\"radio\" name=\"{e(name)}\" value=\"{e(o.code)}\""
            f"{' required' if item.required else ''}> {e(text_in(o.display, lang))}</label>"
            for o in item.options)
        parts.append(f"<fieldset><legend>{e(text_in(item.text, lang))}</legend>"
                     f"{options}</fieldset>")
    return "".join(parts)


def message(language: str, key: str) -> str:
    words = labels(language)
    return page(language, words[key], f"<p>{html.escape(words[key])}</p>")
