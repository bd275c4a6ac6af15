"""Tests for adapters.attendance: Zoom and Teams participant exports.

Sample files live in tests/data/attendance/ (see its README); small edge cases are
built inline so each test shows the bytes it is about.
"""

from __future__ import annotations

import codecs
import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.attendance import (
    AttendanceFileError,
    AttendanceReport,
    Attendee,
    EmptyReport,
    Interval,
    MalformedRow,
    MissingTimeZone,
    UnknownFormat,
    read_report,
)
from adapters.attendance.merge import merge_intervals
from adapters.attendance.names import split_display_name

DATA = Path(__file__).resolve().parents[1] / "data" / "attendance"
ZOOM_HEADER = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest"


def load(name: str, timezone: str = "UTC") -> AttendanceReport:
    return read_report((DATA / name).read_bytes(), timezone=timezone, filename=name)


def utc(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)


def person(report: AttendanceReport, display_name: str) -> Attendee:
    matches = [a for a in report.attendees if a.display_name == display_name]
    assert len(matches) == 1, [a.display_name for a in report.attendees]
    return matches[0]


def spans(attendee: Attendee) -> list[tuple[str, str]]:
    return [(i.start.strftime("%H:%M:%S"), i.end.strftime("%H:%M:%S")) for i in attendee.intervals]


def zoom_csv(*rows: str) -> bytes:
    return "\n".join((ZOOM_HEADER, *rows)).encode()


# --- Zoom ------------------------------------------------------------------------


def test_zoom_with_summary_header_reads_title_and_everyone() -> None:
    report = load("zoom_with_summary.csv", "America/Bogota")
    assert report.source_format == "zoom"
    assert report.meeting_title == "ECHO Hepatitis C – Sesión 12: manejo en atención primaria"
    assert [a.display_name for a in report.attendees] == [
        "Dra. Lucía Fernández",
        "Ana Pérez",
        "João Gonçalves",
        "María José Núñez",
        "Sebastián Muñoz",
    ]


def test_zoom_rejoin_with_differently_cased_email_is_one_attendee() -> None:
    ana = person(load("zoom_with_summary.csv", "America/Bogota"), "Ana Pérez")
    assert ana.email == "ana.perez@example.org"
    assert spans(ana) == [("19:00:10", "19:31:00"), ("19:36:30", "20:02:15")]
    assert ana.minutes == pytest.approx(30 + 50 / 60 + 25 + 45 / 60)


def test_zoom_waiting_room_rows_do_not_count_as_attendance() -> None:
    ana = person(load("zoom_with_summary.csv", "America/Bogota"), "Ana Pérez")
    assert ana.intervals[0].start == utc("2026-11-05", "19:00:10")


def test_zoom_same_name_in_other_case_without_email_merges_overlap() -> None:
    maria = person(load("zoom_with_summary.csv", "America/Bogota"), "María José Núñez")
    assert maria.email is None
    assert spans(maria) == [("19:03:15", "20:00:00")]
    assert maria.minutes == pytest.approx(56.75)


def test_zoom_spoke_from_display_name_and_original_name_dropped() -> None:
    report = load("zoom_with_summary.csv", "America/Bogota")
    assert person(report, "Ana Pérez").stated_spoke == "Clínica Rural San Isidro"
    assert person(report, "João Gonçalves").stated_spoke == "UBS Vila Nova"
    assert person(report, "Sebastián Muñoz").stated_spoke == "Hospital Regional de Temuco"
    assert person(report, "Dra. Lucía Fernández").stated_spoke is None


def test_zoom_table_only_with_iso_dates_and_no_title() -> None:
    report = load("zoom_table_only.csv", "America/Bogota")
    assert (report.source_format, report.meeting_title) == ("zoom", None)
    assert len(report.attendees) == 3
    assert person(report, "Inês Carvalho").intervals[0].start == utc("2026-11-12", "19:02:00")


def test_zoom_overlapping_and_adjacent_rows_become_one_interval() -> None:
    report = load("zoom_table_only.csv", "America/Bogota")
    assert spans(person(report, "Conceição Araújo")) == [("19:00:05", "20:00:00")]
    assert spans(person(report, "Inês Carvalho")) == [("19:02:00", "19:58:30")]
    assert person(report, "Conceição Araújo").minutes == pytest.approx(59 + 55 / 60)


def test_zoom_spoke_column_beats_the_name_convention() -> None:
    report = load("zoom_table_only.csv", "America/Bogota")
    assert person(report, "Tomás Ibáñez").stated_spoke == "CESFAM Los Andes"
    assert person(report, "Inês Carvalho").stated_spoke == "Posto de Saúde Ribeirinho"


def test_zoom_export_with_meeting_data_uses_the_participant_email() -> None:
    data = (
        "Topic,Meeting ID,User Name,User Email,Name (Original Name),User Email,"
        "Join Time,Leave Time\n"
        "ECHO VIH,81234567890,Hub,hub@example.org,Ana Pérez,ana@example.org,"
        "11/05/2026 02:00:00 PM,11/05/2026 03:00:00 PM\n"
    ).encode()
    report = read_report(data)
    assert report.meeting_title == "ECHO VIH"
    assert [a.email for a in report.attendees] == ["ana@example.org"]


# --- Teams -----------------------------------------------------------------------


def test_teams_utf16_report_uses_per_join_activity_rows() -> None:
    report = load("teams_new_utf16.csv", "America/Sao_Paulo")
    assert report.source_format == "teams"
    assert report.meeting_title == "ECHO Saúde Mental – Sessão 8: depressão na atenção básica"
    luiza = person(report, "Luíza Magalhães")
    assert spans(luiza) == [("17:01:40", "17:20:10"), ("17:35:10", "18:02:10")]
    assert luiza.minutes == pytest.approx(45.5)
    assert (luiza.email, luiza.stated_spoke) == (None, None)


def test_teams_emails_are_lower_cased_and_upn_fills_a_blank_email() -> None:
    report = load("teams_new_utf16.csv", "America/Sao_Paulo")
    fatima = person(report, "Fátima Sarmento")
    assert (fatima.email, fatima.stated_spoke) == ("fatima.sarmento@example.org", "CAPS Itaquera")
    assert person(report, "André Conceição").email == "andre.conceicao@example.org"


def test_teams_utf8_comma_report_with_day_first_dates_and_no_activities() -> None:
    report = load("teams_new_utf8.csv", "America/Mexico_City")
    assert report.meeting_title == "ECHO Diabetes – Sesión 3: insulinización en el primer nivel"
    jose = person(report, "José Ángel Ruiz")
    assert jose.stated_spoke == "Hospital Comunitario Teziutlán"
    assert jose.intervals == (
        Interval(utc("2026-11-26", "16:04:30"), utc("2026-11-26", "16:52:00")),
    )
    assert person(report, "Guadalupe Hernández").stated_spoke == "Centro de Salud Tlalpan"


def test_teams_section_title_right_after_a_table_ends_it() -> None:
    data = (
        "Name\tFirst Join\tLast Leave\tEmail\n"
        "Ana Pérez\t11/5/26, 2:00:00 PM\t11/5/26, 3:00:00 PM\tana@example.org\n"
        "3. In-Meeting Activities\n"
        "Name\tJoin Time\tLeave Time\tEmail\n"
        "Ana Pérez\t11/5/26, 2:00:00 PM\t11/5/26, 2:10:00 PM\tana@example.org\n"
    ).encode("utf-16")
    (ana,) = read_report(data).attendees
    assert ana.minutes == pytest.approx(10)


def test_teams_legacy_pairs_joins_and_leaves() -> None:
    report = load("teams_legacy.csv", "America/Lima")
    assert (report.source_format, report.meeting_title) == ("teams-legacy", None)
    carmen = person(report, "Carmen Huamán")
    assert carmen.stated_spoke == "Posta Médica Chacas"
    assert spans(carmen) == [("19:01:12", "19:30:00"), ("19:33:30", "20:00:00")]


def test_teams_legacy_open_attendance_ends_at_the_last_event() -> None:
    report = load("teams_legacy.csv", "America/Lima")
    assert spans(person(report, "Dra. Rosa Quispe")) == [("18:59:40", "20:00:00")]
    jesus = person(report, "Jesús Mamani")
    assert spans(jesus) == [("19:04:00", "19:50:00"), ("19:55:00", "20:00:00")]


# --- encodings and delimiters ----------------------------------------------------


def test_utf16_without_bom_reads_like_with_bom() -> None:
    raw = (DATA / "teams_new_utf16.csv").read_bytes()
    assert raw.startswith(codecs.BOM_UTF16_LE)
    assert read_report(raw[2:]) == read_report(raw)


def test_utf16_big_endian_and_utf8_bom_are_decoded() -> None:
    text = (DATA / "teams_legacy.csv").read_bytes().decode("utf-16")
    expected = read_report(text.encode("utf-8"))
    assert read_report(codecs.BOM_UTF16_BE + text.encode("utf-16-be")) == expected
    assert read_report(codecs.BOM_UTF8 + text.encode("utf-8")) == expected


def test_excel_resave_in_cp1252_with_semicolons() -> None:
    data = (
        "Name (Original Name);User Email;Join Time;Leave Time\r\n"
        "João Gonçalves - UBS Vila Nova;;05/11/2026 14:00;05/11/2026 14:30\r\n"
    ).encode("cp1252")
    (joao,) = read_report(data, day_first=True).attendees
    assert (joao.display_name, joao.stated_spoke) == ("João Gonçalves", "UBS Vila Nova")
    assert joao.intervals[0].start == utc("2026-11-05", "14:00:00")


def test_naive_times_without_a_zone_are_refused_not_read_as_utc() -> None:
    naive = zoom_csv("Ana Pérez,ana@example.org,2026-11-05 14:00,2026-11-05 14:20,20,No")
    with pytest.raises(MissingTimeZone, match="carry no time zone"):
        read_report(naive, timezone=None)
    offset = zoom_csv("Ana Pérez,ana@example.org,2026-11-05 14:00-03:00,"
                      "2026-11-05 14:20-03:00,20,No")
    (ana,) = read_report(offset, timezone=None).attendees
    assert ana.intervals[0].start == utc("2026-11-05", "17:00:00")


# --- merging ---------------------------------------------------------------------


def test_row_without_email_joins_the_one_email_holder_of_that_name() -> None:
    report = read_report(
        zoom_csv(
            "Ana Pérez,ana@example.org,2026-11-05 14:00,2026-11-05 14:20,20,No",
            "ana perez,,2026-11-05 14:25,2026-11-05 14:40,15,Yes",
        )
    )
    (ana,) = report.attendees
    assert (ana.display_name, ana.email, len(ana.intervals)) == ("Ana Pérez", "ana@example.org", 2)


def test_namesakes_with_different_emails_stay_apart() -> None:
    report = read_report(
        zoom_csv(
            "Ana Pérez,ana.perez@example.org,2026-11-05 14:00,2026-11-05 14:20,20,No",
            "Ana Pérez,aperez@example.org,2026-11-05 14:01,2026-11-05 14:30,29,No",
            "Ana Pérez,,2026-11-05 14:40,2026-11-05 14:50,10,Yes",
        )
    )
    assert sorted(str(a.email) for a in report.attendees) == [
        "None",
        "ana.perez@example.org",
        "aperez@example.org",
    ]


def test_merge_intervals_joins_overlapping_touching_and_contained() -> None:
    def at(minute: int) -> datetime:
        return utc("2026-11-05", "14:00:00") + timedelta(minutes=minute)

    merged = merge_intervals(
        [
            Interval(at(50), at(55)),
            Interval(at(0), at(10)),
            Interval(at(10), at(20)),
            Interval(at(15), at(18)),
            Interval(at(30), at(40)),
            Interval(at(35), at(45)),
        ]
    )
    assert merged == (Interval(at(0), at(20)), Interval(at(30), at(45)), Interval(at(50), at(55)))


# --- the spoke convention --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ana Pérez - Clínica Rural X", ("Ana Pérez", "Clínica Rural X")),
        ("Ana Pérez (Clínica Rural X)", ("Ana Pérez", "Clínica Rural X")),
        ("João Silva – UBS Vila Nova", ("João Silva", "UBS Vila Nova")),
        ("João Silva | UBS Vila Nova", ("João Silva", "UBS Vila Nova")),
        ("Ana Pérez-Gómez", ("Ana Pérez-Gómez", None)),
        ("  Ana   Pérez  ", ("Ana Pérez", None)),
        ("Ana Pérez (she/her)", ("Ana Pérez", None)),
        ("Ana Pérez (Guest)", ("Ana Pérez", None)),
        ("Conceição Araújo (Convidado)", ("Conceição Araújo", None)),
        ("Ana Pérez (iPhone)", ("Ana Pérez", None)),
        ("Ana P. (Ana Pérez Gómez)", ("Ana P.", None)),
        ("Ana Pérez - Clínica X (Ana Pérez)", ("Ana Pérez", "Clínica X")),
        ("Ana Pérez - Clínica X (Manaus)", ("Ana Pérez", "Clínica X (Manaus)")),
        ("Ana Pérez (UBS Centro) (Manaus)", ("Ana Pérez", "UBS Centro")),
    ],
)
def test_display_name_convention(raw: str, expected: tuple[str, str | None]) -> None:
    assert split_display_name(raw) == expected


# --- errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "error", "row", "message"),
    [
        (
            "broken_zoom_missing_column.csv",
            MalformedRow,
            4,
            "row 4: missing required column 'Leave Time' (found: Name (Original Name), "
            "User Email, Join Time, Duration (Minutes), Guest)",
        ),
        (
            "broken_zoom_bad_date.csv",
            MalformedRow,
            4,
            "row 4: join time 'hoy 2:10 PM' is not a date and time "
            "(e.g. 11/05/2026 02:03:15 PM or 2026-11-05 14:03:15)",
        ),
        (
            "broken_teams_leave_before_join.csv",
            MalformedRow,
            14,
            "row 14: leave time 10:05 is before join time 10:30",
        ),
        ("broken_empty.csv", EmptyReport, None, "the file is empty"),
        (
            "broken_not_a_report.txt",
            UnknownFormat,
            None,
            "no Zoom or Teams participant table found; expected a header row such as "
            "'Name (Original Name), User Email, Join Time, Leave Time' or "
            "'Name, First Join, Last Leave, In-Meeting Duration, Email'",
        ),
        (
            "broken_binary_garbage.bin",
            UnknownFormat,
            None,
            "the file is not text (not valid UTF-8 or CP1252); expected a CSV export",
        ),
    ],
)
def test_broken_sample_files(
    name: str, error: type[AttendanceFileError], row: int | None, message: str
) -> None:
    with pytest.raises(error) as caught:
        read_report((DATA / name).read_bytes())
    assert str(caught.value) == message
    assert getattr(caught.value, "row_number", None) == row


def test_error_message_names_the_file_when_given() -> None:
    with pytest.raises(MalformedRow, match=r"^broken_zoom_bad_date\.csv: row 4: join time"):
        load("broken_zoom_bad_date.csv")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",,2026-11-05 14:00,2026-11-05 15:00,60,No", "neither a name nor an e-mail address"),
        ("Ana,,,2026-11-05 15:00,60,No", "join time is empty"),
        ("Ana,,02/30/2026 10:00 AM,2026-11-05 15:00,60,No", "'02/30/2026 10:00 AM' is not a valid"),
        ("Ana,,11/05/2026 13:00 PM,2026-11-05 15:00,60,No", "'11/05/2026 13:00 PM' is not a valid"),
        ("Ana,,2026-11-05 14:00,2026-11-06 13:00,60,No", None),
    ],
)
def test_bad_zoom_rows_name_their_row(row: str, message: str | None) -> None:
    data = zoom_csv("Ana,,2026-11-05 14:00,2026-11-05 15:00,60,No", row)
    if message is None:
        assert read_report(data).attendees[0].minutes == pytest.approx(23 * 60)
        return
    with pytest.raises(MalformedRow, match=message) as caught:
        read_report(data)
    assert caught.value.row_number == 3


def test_leave_before_join_on_another_day_shows_dates() -> None:
    data = zoom_csv("Ana,,2026-11-05 14:00,2026-11-04 15:00,60,No")
    with pytest.raises(MalformedRow) as caught:
        read_report(data)
    assert str(caught.value) == (
        "row 2: leave time 2026-11-04 15:00 is before join time 2026-11-05 14:00"
    )


def test_legacy_leave_without_join_and_unknown_action() -> None:
    header = "Full Name\tUser Action\tTimestamp\n"
    left_first = header + "Ana Pérez\tLeft\t11/5/2026, 2:00:00 PM\n"
    with pytest.raises(MalformedRow, match="^row 2: 'Ana Pérez' left without having joined$"):
        read_report(left_first.encode("utf-16"))
    odd = (
        header + "Ana Pérez\tJoined\t11/5/2026, 2:00:00 PM\nAna Pérez\tMuted\t11/5/2026, 2:01 PM\n"
    )
    with pytest.raises(
        MalformedRow, match="^row 3: user action 'Muted' is not 'Joined' or 'Left'$"
    ):
        read_report(odd.encode("utf-16"))


def test_header_without_rows_is_an_empty_report() -> None:
    with pytest.raises(EmptyReport, match="^the Zoom export lists no attendees$"):
        read_report(zoom_csv())


def test_only_waiting_room_rows_is_an_empty_report() -> None:
    data = (
        b"Name (Original Name),User Email,Join Time,Leave Time,In Waiting Room\n"
        b"Ana,,2026-11-05 14:00,2026-11-05 14:05,Yes\n"
    )
    with pytest.raises(EmptyReport):
        read_report(data)


def test_excel_workbook_is_refused_with_a_hint() -> None:
    with pytest.raises(UnknownFormat, match="Excel workbook.*save it as CSV"):
        read_report(b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), filename="asistencia.xlsx")


def test_bom_only_file_is_empty() -> None:
    with pytest.raises(EmptyReport):
        read_report(codecs.BOM_UTF16_LE + "\r\n".encode("utf-16-le"))


def test_every_error_is_one_line_and_an_attendance_file_error() -> None:
    for path in sorted(DATA.glob("broken_*")):
        with pytest.raises(AttendanceFileError) as caught:
            read_report(path.read_bytes(), filename=path.name)
        assert "\n" not in str(caught.value)
        assert str(caught.value).startswith(f"{path.name}: ")


def test_malformed_row_survives_pickling() -> None:
    error = pickle.loads(
        pickle.dumps(MalformedRow(7, "leave time 10:05 is before join time 10:30"))
    )
    assert (error.row_number, str(error)) == (
        7,
        "row 7: leave time 10:05 is before join time 10:30",
    )


# --- time zones ------------------------------------------------------------------


def test_naive_times_are_read_in_the_given_zone() -> None:
    in_utc = load("zoom_with_summary.csv")
    in_bogota = load("zoom_with_summary.csv", "America/Bogota")
    for plain, local in zip(in_utc.attendees, in_bogota.attendees, strict=True):
        assert local.intervals[0].start - plain.intervals[0].start == timedelta(hours=5)
        assert local.intervals[0].start.utcoffset() == timedelta(0)


def test_zone_rules_follow_daylight_saving() -> None:
    data = zoom_csv(
        "Ana,,2026-07-09 10:00,2026-07-09 11:00,60,No",
        "Bia,,2026-12-10 10:00,2026-12-10 11:00,60,No",
    )
    ana, bia = read_report(data, timezone="America/New_York").attendees
    assert ana.intervals[0].start == utc("2026-07-09", "14:00:00")
    assert bia.intervals[0].start == utc("2026-12-10", "15:00:00")


def test_timestamps_with_an_offset_ignore_the_timezone_argument() -> None:
    data = zoom_csv("Ana,,2026-11-05T14:00:00-03:00,2026-11-05T18:00:00Z,60,No")
    (ana,) = read_report(data, timezone="Asia/Tokyo").attendees
    assert ana.intervals == (
        Interval(utc("2026-11-05", "17:00:00"), utc("2026-11-05", "18:00:00")),
    )


def test_ambiguous_dates_are_month_first_unless_told_otherwise() -> None:
    data = zoom_csv("Ana,,05/11/2026 02:00 PM,05/11/2026 03:00 PM,60,No")
    assert read_report(data).attendees[0].intervals[0].start == utc("2026-05-11", "14:00:00")
    forced = read_report(data, day_first=True).attendees[0].intervals[0].start
    assert forced == utc("2026-11-05", "14:00:00")


@pytest.mark.parametrize(
    "stamp",
    ["11/5/26, 2:03:15\u202fPM", "05/11/2026 02:03:15 p. m.", "5.11.2026 14:03:15"],
)
def test_locale_spellings_of_the_same_moment(stamp: str) -> None:
    day_first = not stamp.startswith("11/")
    data = zoom_csv(f'Ana,,"{stamp}","{stamp}",0,No')
    (ana,) = read_report(data, timezone="America/Bogota", day_first=day_first).attendees
    assert ana.intervals[0].start == utc("2026-11-05", "19:03:15")


def test_unknown_timezone_is_a_value_error_not_a_file_error() -> None:
    with pytest.raises(ValueError, match="unknown IANA time zone 'America/Bogata'"):
        read_report(zoom_csv(), timezone="America/Bogata")


def test_interval_rejects_naive_or_reversed_bounds() -> None:
    start = utc("2026-11-05", "14:00:00")
    with pytest.raises(ValueError, match="timezone-aware"):
        Interval(start.replace(tzinfo=None), start)
    with pytest.raises(ValueError, match="before it starts"):
        Interval(start, start - timedelta(seconds=1))
