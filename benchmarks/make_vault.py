"""Write a synthetic vault of N notes in the contract's format (product.md sections 1-4).

About 2% partners (a tenth of them with an active series), 10% leads and the
rest weekly session notes of 1.5-2.5 KB, each with the five questions answered
briefly and 3-6 follow-ups (old ones done, cancelled or carried forward; two
of this week's still open), so that sizes and task counts look like a real
LO's vault; 4% of leads still new. The same N, seed and open share give the
same vault.

--open-share F keeps that share of the old (not this week's) session
follow-ups open forever, `- [ ]` with their due dates in the past (the
issue's "a fifth of old tasks stay open" shape is 0.2: Follow-ups.md then
lists over 10,000 items at 20,000 notes). Its draws come from their own
random stream, so at 0 (the default) the vault is the same as without it.

    python benchmarks/make_vault.py 20000 /tmp/vault20k
    python benchmarks/make_vault.py 20000 /tmp/vault20k-open --open-share 0.2
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

from ppsjournal.settings import render_settings

FIRST = ["Debbie", "Sam", "Maria", "Jon", "Priya", "Lee", "Ana", "Chris", "Omar", "Beth"]
LAST = ["Harper", "Lee", "Garcia", "Nguyen", "Smith", "Khan", "Rossi", "Brown", "Ito", "Diaz"]
TAGS = ["#need", "#lead", "#commitment", "#referral"]
ANSWERS = [
    "Good week. Her buyers liked the fast pre-approvals; wants updates by text, not e-mail.",
    "Co-host an open house Saturday; add her sphere to the monthly rate update.",
    "Needs a bilingual flyer and a first-time buyer seminar before spring.",
    "Met the Lees at a school fundraiser; renting, might buy in a year.",
    "Showing two buyers Thursday; one not yet pre-qualified, call today.",
]


def _name(i: int, kind: str) -> str:
    return f"{FIRST[i % 10]} {LAST[(i // 10) % 10]} {kind}{i}"


def _front(meta: dict[str, str]) -> str:
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in meta.items()) + "---\n"


def make_vault(root: Path, n: int, seed: int = 1, open_share: float = 0.0) -> dict[str, int]:
    if not 0.0 <= open_share <= 1.0:
        raise ValueError(f"open_share must be between 0 and 1, not {open_share}")
    rnd = random.Random(seed)
    # A stream of its own: the other draws (and so the default vault) do not move.
    rnd_open = random.Random(f"{seed}/open-share")
    stuck = 0  # old follow-ups left open
    root.mkdir(parents=True, exist_ok=True)
    (root / "ppsj.toml").write_text(
        render_settings("Alex Rivera", "alex@lender.example", "America/Chicago")
    )
    for folder in ("Partners", "Sessions", "Leads", "Templates", "Calendar"):
        (root / folder).mkdir(exist_ok=True)
    n_partners = max(5, n // 50)
    n_leads = n // 10
    n_sessions = n - n_partners - n_leads
    today = dt.date(2026, 11, 27)
    partners = [_name(i, "P") for i in range(n_partners)]
    for i, name in enumerate(partners):
        active = i % 10 == 0
        slot = f"{13 + (i // 3) % 3}:{(i % 3) * 20:02d}"
        meta = {
            "type": "partner",
            "email": f"p{i}@realty.example",
            "phone": f'"+1 555 {i:04d}"',
            "company": "Sunrise Realty",
            "status": "active" if active else rnd.choice(["ended", "paused", "prospect"]),
            "committed": "2026-10-02",
            "referral_expected": "2026-12-11",
        }
        if active:
            meta |= {
                "pps_time": f'"{slot}"',
                "pps_start": "2026-10-09",
                "pps_weeks": "12",
                "pps_skip": "[2026-12-25]",
                "pps_sequence": "0",
            }
        meta["tags"] = "[partner]"
        body = f"# {name}\n\nSunrise Realty\n\n## Needs\n"
        body += "- [ ] Bilingual flyer #need ⏳ 2027-01-10\n"
        (root / "Partners" / f"{name}.md").write_text(_front(meta) + body)
    start = today - dt.timedelta(days=7 * (n_sessions // n_partners + 1))
    for j in range(n_sessions):
        partner = partners[j % n_partners]
        day = start + dt.timedelta(days=7 * (j // n_partners) + 4)
        folder = root / "Sessions" / str(day.year)
        folder.mkdir(exist_ok=True)
        recent = (today - day).days < 7  # this week's notes: follow-ups still open
        meta = {
            "type": "session",
            "partner": f'"[[{partner}]]"',
            "date": day.isoformat(),
            "time": '"14:40"',
            "week": str(j // n_partners % 12 + 1),
            "weeks": "12",
            "status": "planned" if recent else "held",
        }
        parts = [f"# PPS with {partner}: {day} 14:40\n"]
        for q, answer in enumerate(ANSWERS, 1):
            parts.append(f"\n## {q}. Question {q}\n{answer}\n" + "Notes. " * rnd.randint(5, 30))
        parts.append("\n\n## Follow-ups\n")
        for k in range(rnd.randint(3, 6)):
            due = day + dt.timedelta(days=rnd.randint(1, 14))
            status = " " if recent and k < 2 else rnd.choice("xxx>-")
            if not recent and open_share and rnd_open.random() < open_share:
                status = " "  # never done: overdue forever
                due = min(due, today - dt.timedelta(days=1))
                stuck += 1
            done = f" ✅ {due}" if status == "x" else ""
            tag = TAGS[k % 4]
            parts.append(f"- [{status}] Call back about the listing {k} {tag} 📅 {due}{done}\n")
        (folder / f"{day} {partner}.md").write_text(_front(meta) + "".join(parts))
    for k in range(n_leads):
        name = _name(k, "L")
        meta = {
            "type": "lead",
            "partner": f'"[[{partners[k % n_partners]}]]"',
            "source": rnd.choice(["lost-lead", "showing", "referral"]),
            "stage": "new" if k % 25 == 0 else rnd.choice(["contacted", "closed", "lost"]),
            "created": (today - dt.timedelta(days=rnd.randint(0, 700))).isoformat(),
            "phone": f'"+1 555 {k % 10000:04d}"',
            "value": str(rnd.randint(200, 900) * 1000),
        }
        box = " " if meta["stage"] == "new" else "x"
        body = f"# {name}\n\n- [{box}] First call with [[{name}]] #lead 📅 2026-11-20\n"
        (root / "Leads" / f"{name}.md").write_text(_front(meta) + body)
    return {"partners": n_partners, "sessions": n_sessions, "leads": n_leads, "old_open": stuck}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of notes")
    ap.add_argument("dir", type=Path, help="the vault folder to write (created)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--open-share",
        type=float,
        default=0.0,
        metavar="F",
        help="share (0-1) of old session follow-ups left open, due in the past (default 0)",
    )
    args = ap.parse_args()
    if not 0.0 <= args.open_share <= 1.0:
        ap.error("--open-share must be between 0 and 1")
    counts = make_vault(args.dir, args.n, args.seed, args.open_share)
    print(f"wrote {args.n} notes to {args.dir}: {counts}")


if __name__ == "__main__":
    main()
