"""A CalDAV calendar (RFC 4791), through the ``caldav`` library: the adapter of ``ppsj publish``.

``Server`` checks the ``[caldav]`` settings and the password, then finds the
calendar (by URL path: no request; by display name: the principal's list).
A calendar given by path is checked to be one (``check_calendar``) once there
is anything to send to it, so nothing is put in a folder of calendars.
``listing`` is one REPORT for every VEVENT object with its ETag and data;
``put`` and ``delete`` are conditional (If-Match the listed ETag, or
If-None-Match for a new object), so an object changed on the server since the
listing is reported (False), not overwritten. Every failure is one PpsjError
line naming the server; the password is never put in a message.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

from ppsjournal.errors import PpsjError
from ppsjournal.mail import is_loopback
from ppsjournal.settings import CONFIG_NAME, Caldav

PASSWORD_ENV = "PPSJ_CALDAV_PASSWORD"
TIMEOUT = 30

_DAV = "{DAV:}"
_CAL = "{urn:ietf:params:xml:ns:caldav}"
_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter>
    <C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter>
  </C:filter>
</C:calendar-query>"""


_RESOURCETYPE = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>"""


class Remote(NamedTuple):
    """One object of the calendar's listing."""

    href: str
    etag: str | None
    data: bytes


def check(settings: Caldav, password: str | None) -> str | None:
    """The password to use, once the settings are known to be complete and safe."""
    if not settings.url:
        raise PpsjError(
            "no CalDAV server: add a [caldav] section with url, username and calendar "
            f"to {CONFIG_NAME} (see docs/calendar.md)",
            f"{CONFIG_NAME}: caldav.url",
        )
    password = password or None
    if settings.username and password is None:
        raise PpsjError(
            f"set ${PASSWORD_ENV} to the password of {settings.username} "
            "(it is never read from a file)",
            f"{CONFIG_NAME}: caldav.username",
        )
    parts = urlsplit(settings.url)
    if parts.scheme == "http" and password and not is_loopback(parts.hostname or ""):
        raise PpsjError(
            "an http:// address would send the password unencrypted; use https:// "
            "(plain http is only allowed to localhost)",
            f"{CONFIG_NAME}: caldav.url",
        )
    return password


class Server:
    """One CalDAV calendar, found and ready."""

    def __init__(self, settings: Caldav, password: str | None) -> None:
        password = check(settings, password)
        from caldav.davclient import DAVClient

        assert settings.url
        self.server = urlsplit(settings.url).netloc
        self.where = f"{CONFIG_NAME}: caldav.calendar"
        self.client: Any = DAVClient(
            settings.url,
            username=settings.username,
            password=password,
            timeout=TIMEOUT,
            enable_rfc6764=False,
        )
        self.url = ""  # the calendar's, once found
        # A URL path is taken on trust until something is to be written (check_calendar).
        self.known = not settings.calendar.startswith("/")
        if self.known:
            self.url = self._by_name(settings.calendar)
        else:
            self.url = urljoin(settings.url, settings.calendar.rstrip("/") + "/")

    def _by_name(self, name: str) -> str:
        calendars = self._call(lambda: self.client.principal().calendars())
        names: dict[str, list[str]] = {}
        for cal in calendars:
            shown = self._call(cal.get_display_name)
            names.setdefault(str(shown or ""), []).append(str(cal.url))
        found = names.get(name) or [
            url
            for shown, urls in names.items()
            if shown.casefold() == name.casefold()
            for url in urls
        ]
        if len(found) == 1:
            return found[0]
        if found:  # publishing to whichever the server lists first could change between runs
            paths = ", ".join(sorted(urlsplit(url).path for url in found))
            raise PpsjError(
                f"two or more calendars are named {name!r} on {self.server} ({paths}); "
                "give the URL path of the one to publish to",
                self.where,
            )
        known = ", ".join(sorted(repr(n) for n in names if n)) or "none"
        raise PpsjError(
            f"no calendar named {name!r} on {self.server} (its calendars: {known}); "
            "create it in your calendar app, or give its URL path",
            self.where,
        )

    def _call(self, action: Any) -> Any:
        """Run one request, turning the library's and the network's failures into one line."""
        from caldav.lib import error

        try:
            return action()
        except error.AuthorizationError as exc:
            if exc.status == 403 and self.url:
                # Logged in, but not let in: the path is another account's, not the password.
                raise PpsjError(
                    f"{self.server} refused access to {urlsplit(self.url).path} (HTTP 403): "
                    "a calendar of another account? give one of caldav.username's",
                    self.where,
                ) from None
            raise PpsjError(
                f"{self.server} refused the username or password (HTTP 401/403); "
                f"check caldav.username and ${PASSWORD_ENV}",
                f"{CONFIG_NAME}: caldav.username",
            ) from None
        except error.NotFoundError:
            raise self._not_found() from None
        except error.DAVError as exc:
            if exc.status:  # its reason may be the server's whole HTML error page
                request = type(exc).__name__.removesuffix("Error").upper() or "a request"
                raise PpsjError(
                    f"{self.server} answered HTTP {exc.status} to {request}: "
                    "not a CalDAV server's address, or the server failed",
                    f"{CONFIG_NAME}: caldav.url",
                ) from None
            reason = " ".join(str(exc).split())[:200]
            raise PpsjError(f"the CalDAV server {self.server} failed: {reason}") from None
        except (OSError, ValueError) as exc:  # niquests/requests errors are OSErrors
            raise PpsjError(
                f"cannot reach the CalDAV server {self.server}: {_reason(exc)}"
            ) from None

    def _not_found(self) -> PpsjError:
        return PpsjError(f"no calendar at {urlsplit(self.url).path} on {self.server}", self.where)

    def _check_status(self, response: Any, what: str) -> None:
        if response.status == 404:
            raise self._not_found()
        if response.status >= 300:
            raise PpsjError(
                f"the CalDAV server {self.server} refused to {what} (HTTP {response.status})"
            )

    def check_calendar(self) -> None:
        """Refuse a URL path that is no calendar (the folder of calendars, say):
        a server may take an event put there as a new calendar of its own."""
        if self.known:
            return
        response = self._call(lambda: self.client.propfind(self.url, _RESOURCETYPE, depth=0))
        self._check_status(response, "describe the calendar")
        tree = response.tree
        found = [] if tree is None else list(tree.iter(_CAL + "calendar"))
        if not found:
            raise PpsjError(
                f"{urlsplit(self.url).path} on {self.server} is not a calendar "
                "(a folder of calendars?); give the path of the calendar itself, or its name",
                self.where,
            )
        self.known = True

    def listing(self) -> list[Remote]:
        """Every VEVENT object of the calendar: href, ETag, data (one REPORT)."""
        response = self._call(lambda: self.client.report(self.url, _QUERY, depth=1))
        self._check_status(response, "list the calendar")
        found = []
        tree = response.tree
        for item in [] if tree is None else tree.iter(_DAV + "response"):
            href = item.findtext(_DAV + "href")
            etag = item.findtext(f".//{_DAV}getetag")
            data = item.findtext(f".//{_CAL}calendar-data")
            if href and data:
                found.append(Remote(urljoin(self.url, href), etag, data.encode("utf-8")))
        return found

    def put(self, href: str | None, name: str, data: bytes, etag: str | None) -> bool:
        """Create (``href`` None: a new object named ``name``) or replace one.

        False: the object changed (or appeared) on the server since the listing.
        """
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if href is None:
            href = urljoin(self.url, name)
            headers["If-None-Match"] = "*"
        elif etag:
            headers["If-Match"] = etag
        response = self._call(lambda: self.client.put(href, data, headers))
        if response.status == 412:
            return False
        self._check_status(response, "save an event")
        return True

    def delete(self, href: str, etag: str | None) -> bool:
        """Remove one object; False if it changed on the server since the listing."""
        headers = {"If-Match": etag} if etag else {}
        response = self._call(lambda: self.client.delete(href, headers))
        if response.status == 412:
            return False
        if response.status == 404:
            return True  # gone already: what was wanted
        self._check_status(response, "remove an event")
        return True

    def close(self) -> None:
        self.client.close()


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for known in ("Connection refused", "Name or service not known", "timed out"):
        if known.lower() in text.lower():
            return known.lower()
    return " ".join(text.split())[:200] or type(exc).__name__
