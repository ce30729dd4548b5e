"""The demo's 信息报送: 县第一人民医院 sent last month's report to the bureau on time; 县中医院 has not
(逾期未报 or 待报送, depending on the day the demo is seeded)."""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select

from server.hearing.feedback import today
from server.models import Unit, User, utcnow
from server.oversight import submissions
from server.oversight.compliance import months_back
from server.workdays import calendar_for, local_zone


def seed_submissions(s, hospital: Unit) -> None:
    """Last month's report of `hospital`, sent by its 公开办 on the first working day of this month at
    9:30 (or now, when that is still ahead) — on or before the due date either way."""
    day = today()
    month = months_back(f"{day:%Y-%m}", 2)[0]
    cal = calendar_for(s)
    first_workday = cal.add_working_days(submissions.last_day(submissions.month_first(month)), 1)
    at = min(datetime.combine(first_workday, time(9, 30), tzinfo=local_zone()), utcnow())
    sender = s.scalar(select(User).where(User.username == "gongkai"))
    submissions.submit(s, sender, hospital, month, day, at=at)
