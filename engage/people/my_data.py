"""Everything held about a person, as one ZIP: the "download my data" right (UK GDPR Article 15).

Each domain registers its part with ``@personal_data`` (``engage.core.domains``) from its own
package, so a new domain adds itself and a test fails when a table about people is in no part.
This module gathers the parts and writes the ZIP:

- each table twice, as ``<name>.csv`` (opens in a spreadsheet; text that could be a formula is
  neutralised by ``engage.core.spreadsheets``) and ``<name>.json`` (for a computer);
- the person's own uploaded files (receipts, papers they added to a meeting) under ``files/``;
- ``README.txt``: what each file holds, what is not included and why, and how to ask questions
  or complain.

Nothing about other people goes in: where a shared record names someone else, an exporter
writes :func:`someone` instead ("another person", "a member of staff"), never their name or
contact details. The ZIP is written to a temporary file on disk, not built in memory.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from engage.core.dates import local_timezone
from engage.core.db import utcnow
from engage.core.domains import DataFile, personal_data_exporters
from engage.core.i18n import in_their_language
from engage.core.spreadsheets import neutralise
from engage.extensions import db
from engage.people.models import STAFF_ROLES, Role, User, UserRole

#: Where to complain about how personal data is handled, if asking us did not settle it.
ICO_WEBSITE = "https://ico.org.uk/make-a-complaint/"
ICO_PHONE = "0303 123 1113"


class Names:
    """Words for the people a person's records mention: "you" for them, a neutral word for
    everyone else, so the download says nothing about other people.

    Staff are "a member of staff" (what they did was their job, and the person can ask who);
    anyone else is "another person". Roles are looked up once per person mentioned.
    """

    def __init__(self, person: User) -> None:
        self.person_id = person.id
        self._staff: dict[int, str] = {}

    def __call__(self, user_id: int | None) -> str:
        if user_id is None:
            return ""
        if user_id == self.person_id:
            return _("you")
        if user_id not in self._staff:
            roles = set(
                db.session.scalars(select(UserRole.role).where(UserRole.user_id == user_id))
            )
            self._staff[user_id] = (
                "staff"
                if roles & {role.value for role in STAFF_ROLES}
                else "partner"
                if Role.PARTNER.value in roles
                else ""
            )
        kind = self._staff[user_id]
        if kind == "staff":
            return _("a member of staff")
        if kind == "partner":
            return _("someone from a partner organisation")
        return _("another person")


def someone(person: User) -> Names:
    """A :class:`Names` for ``person``'s download: ``name = someone(person); name(user_id)``."""
    return Names(person)


def collect(person: User) -> list[DataFile]:
    """Every domain's files about ``person``, in the registered order."""
    files: list[DataFile] = []
    for exporter in personal_data_exporters():
        files.extend(exporter.export(person))
    return files


def _local(value: datetime) -> datetime:
    return value.astimezone(local_timezone())


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _local(value).isoformat(timespec="minutes")
    if isinstance(value, date | Decimal):
        return str(value)
    return value


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date | Decimal):
        return str(value)
    return neutralise(value)


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    return columns


def table_csv(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV text with a header; every cell a spreadsheet could run is neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = _columns(rows)
    writer.writerow([neutralise(column) for column in columns])
    for row in rows:
        writer.writerow([_csv_value(row.get(column)) for column in columns])
    return out.getvalue()


def table_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(
        [{key: _json_value(value) for key, value in row.items()} for row in rows],
        ensure_ascii=False,
        indent=2,
    )


def readme(person: User, files: list[DataFile], made_at: datetime) -> str:
    """The plain-language README.txt for ``person``'s download."""
    partnership = current_app.config["PARTNERSHIP_NAME"]
    contact = current_app.config.get("PRIVACY_CONTACT") or _(
        "the lived experience team, or any member of staff you know"
    )
    lines = [
        _("Your data from %(partnership)s", partnership=partnership),
        "=" * 60,
        "",
        _(
            "This is a copy of everything we hold about %(name)s (username %(username)s), "
            "made on %(when)s.",
            name=person.display_name,
            username=person.username,
            when=format_datetime(made_at, "d MMMM y, HH:mm"),
        ),
        "",
        _("How to open the files"),
        "-" * 30,
        _(
            "Most things come twice: a .csv file, which opens in a spreadsheet such as Excel, "
            "Google Sheets or LibreOffice, and a .json file with the same information for "
            "computer programs. Times are in the partnership's time zone (%(zone)s).",
            zone=str(local_timezone()),
        ),
        _("Files you uploaded, such as receipts, are in the files folder."),
        "",
        _("What each file holds"),
        "-" * 30,
    ]
    for item in files:
        name = item.name if item.rows is None else f"{item.name}.csv / {item.name}.json"
        if item.rows is not None and not item.rows:
            name += " " + _("(empty: we hold nothing of this kind about you)")
        lines += [f"* {name}", "  " + item.description, ""]
    lines += [
        _("What is not in this download, and why"),
        "-" * 30,
        "* "
        + _(
            "Other people. Where a record is shared with others (a meeting, an item on the "
            "register), their names are replaced with 'another person' or 'a member of staff'."
        ),
        "* "
        + _(
            "Anonymous survey answers. When a survey is anonymous we do not keep who gave "
            "which answer, so nobody, including us, can find yours."
        ),
        "* "
        + _(
            "Notes staff write for their work, such as a supervisor's private notes and the "
            "reasons noted for decisions on an application. You can ask for them: we will "
            "check them for other people's information and send you what we can."
        ),
        "",
        _("Questions, corrections or complaints"),
        "-" * 30,
        _(
            "If something is wrong, missing, or you want to know more about how we use it, "
            "ask %(contact)s. You can also ask us to correct or delete what we hold.",
            contact=contact,
        ),
        _(
            "If you are unhappy with how we handled your data, you can complain to the "
            "Information Commissioner's Office (ICO): %(website)s or phone %(phone)s.",
            website=ICO_WEBSITE,
            phone=ICO_PHONE,
        ),
        "",
    ]
    return "\r\n".join(lines)


def write_zip(person: User, target: IO[bytes]) -> list[DataFile]:
    """Write ``person``'s data as a ZIP to ``target``; returns the files it holds.

    Uploaded files are copied from disk in pieces (``ZipFile.write``), so a large download is
    never all in memory. A file missing from disk is listed in the README as missing.
    """
    made_at = utcnow()
    with in_their_language(person):
        files = collect(person)
        kept: list[DataFile] = []
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for item in files:
                if item.rows is not None:
                    archive.writestr(f"{item.name}.csv", "\ufeff" + table_csv(item.rows))
                    archive.writestr(f"{item.name}.json", table_json(item.rows))
                elif item.path is not None:
                    if not item.path.is_file():
                        kept.append(
                            DataFile(
                                item.name,
                                item.description + " " + _("(The file itself could not be found.)"),
                            )
                        )
                        continue
                    archive.write(item.path, f"files/{item.name}")
                elif item.data is not None:
                    archive.writestr(f"files/{item.name}", item.data)
                kept.append(
                    item
                    if item.rows is not None
                    else DataFile(f"files/{item.name}", item.description)
                )
            archive.writestr("README.txt", "\ufeff" + readme(person, kept, made_at))
    return kept


def build(person: User) -> IO[bytes]:
    """``person``'s ZIP in a temporary file (deleted when closed), positioned at its start."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115  (handed to send_file, which closes it)
    try:
        write_zip(person, spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def zip_name(person: User, today: date) -> str:
    return f"my-data-{person.username}-{today.isoformat()}.zip"
