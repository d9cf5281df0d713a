"""Signals between domains, so one can react to another without importing it.

``involvement_given`` is sent when someone gave their time: they attended a forum meeting or
finished an opportunity. The payments domain listens and creates an involvement record at the
rate card's rate; until it does, nothing else needs to change. Receivers run inside the
sender's transaction (before the commit), so a record and its payment stand or fall together.

Arguments (keywords): ``person`` (User), ``activity`` (a rate-card activity key such as
"forum_meeting"), ``on`` (date), ``minutes`` (int or None), ``source`` (a short string, e.g.
"meeting:12"), ``actor`` (User who recorded it), ``description`` (what it was, as the
person's statement shows it: the meeting's title, the opportunity's), ``paid`` (bool, default
True: False records the time as voluntary, unpaid). The payload carries everything a receiver
needs, so payments never reads another domain's tables.

``took_part`` is sent once per person and meeting, when they are first marked as having taken
part (attended, late or left early), in the same transaction. Arguments: ``person``,
``meeting`` (a forums Meeting) and ``actor``. Training listens: attending a training session
completes its course.
"""

from blinker import Namespace

_signals = Namespace()

involvement_given = _signals.signal("involvement-given")
took_part = _signals.signal("took-part")
