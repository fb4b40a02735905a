"""Where things live in a vault: its folders, the files ppsj generates, and
the path of each kind of note. The one home of these facts (product.md s. 1)."""

from __future__ import annotations

from ppsjournal.names import check_name

PARTNERS = "Partners"
SESSIONS = "Sessions"
LEADS = "Leads"
TEMPLATES = "Templates"
CALENDAR = "Calendar"
FOLLOWUPS = "Follow-ups.md"
LEDGER = "Ledger/Co-marketing.md"  # the co-marketing ledger: one line a spend (ppsj spend)
STATE = ".ppsj"  # ppsj's own: the store and the write lock; never a note, never in git
# Folders that are never notes: git's, Obsidian's, its trash, ppsj's own.
IGNORED_DIRS = frozenset({".git", ".obsidian", ".trash", STATE})


def partner_path(name: str) -> str:
    """Partners/<Name>.md (the name checked: it becomes a file name)."""
    return f"{PARTNERS}/{check_name(name, 'partner name')}.md"


def lead_path(name: str) -> str:
    """Leads/<Name>.md."""
    return f"{LEADS}/{check_name(name, 'lead name')}.md"


def session_path(date_iso: str, name: str) -> str:
    """Sessions/<YYYY>/<YYYY-MM-DD> <Name>.md."""
    return f"{SESSIONS}/{date_iso[:4]}/{date_iso} {check_name(name, 'partner name')}.md"
