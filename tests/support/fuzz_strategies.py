"""Hypothesis strategies for hostile HTTP: methods, paths, headers, bodies, receipt codes.

Values are drawn so the Werkzeug test client can still send them (header values without line
breaks, paths percent-encoded); everything past that is left to chance: broken multipart framing,
wrong or missing boundaries, truncated bodies, text that is not UTF-8, odd Unicode in every
field, cookies that decrypt to nothing.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from hypothesis import strategies as st

from crypto import receipt

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "BREW")
PORTAL_PATHS = (
    "/",
    "/rights",
    "/report",
    "/mailbox",
    "/mailbox/login",
    "/mailbox/reply",
    "/mailbox/logout",
    "/lang/kk",
    "/lang/ru",
    "/lang/en",
    "/lang/xx",
    "/static/portal.css",
    "/static/poster.css",
    "/static/",
    "/organizations",
    "/organizations?q=",
    "/o/demo",
    "/o/demo/poster",
    "/o/demo/report",
    "/o/",
    "/robots.txt",
    "/favicon.ico",
)
BACKOFFICE_PATHS = (
    "/",
    "/login",
    "/logout",
    "/inbox",
    "/register",
    "/account/password",
    "/head-keys",
    "/audit",
    "/audit/verify",
    "/admin/users",
    "/admin/users/new",
    "/admin/settings",
    "/lang/kk",
    "/lang/ru",
    "/static/handler.css",
)
TRICKY_PATHS = (
    "//",
    "/..",
    "/%2e%2e/",
    "/%00",
    "/%ff%fe",
    "/static/../adal.json",
    "/static/%2e%2e/%2e%2e/instance/secret.key",
    "/lang/kk?next=//evil.example",
    "/lang/ru?next=%2F%2Fevil",
    "/lang/en?next=/%5Cevil",
    "/lang/kk?next=http:x",
    "/report?%",
    "/mailbox?a=%zz",
    "/" + "a" * 3000,
    "/\u0430\u0434\u0430\u043b",
    # Starts like a host ("//" + a label longer than IDNA allows): found by the fuzzer.
    "//%C3%ABX" + "%C3%8D" * 30 + "/report?x=1",
)
# Host values Werkzeug cannot turn into a URL adapter (a label IDNA refuses, empty labels).
BAD_HOSTS = ("..", "x" * 300, "a..b", "\u00e4" * 70 + ".kz")
HEADER_NAMES = (
    "Cookie",
    "Content-Type",
    "Accept",
    "Accept-Language",
    "Accept-Encoding",
    "X-Forwarded-For",
    "Forwarded",
    "X-Real-IP",
    "User-Agent",
    "Referer",
    "Origin",
    "Range",
    "If-Modified-Since",
    "If-None-Match",
    "Authorization",
    "Host",
    "X-CSRFToken",
    "X-Requested-With",
    "Transfer-Encoding",
    "Expect",
)
COOKIE_NAMES = (
    "lang",
    "adal-portal",
    "__Host-adal-portal",
    "adal-backoffice",
    "__Host-adal-backoffice",
    "session",
)

# Header values: printable Latin-1 (what HTTP can carry), never a line break.
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=120
)
any_text = st.text(max_size=200)
short_text = st.text(max_size=40)
field_value = st.one_of(
    any_text,
    st.sampled_from(
        [
            "",
            " ",
            "y",
            "on",
            "1",
            "0",
            "true",
            "\u0000",
            "\ufeff",
            "<script>",
            "%s%n",
            "{{7*7}}",
            "' OR 1=1 --",
        ]
    ),
    st.integers(-(10**20), 10**20).map(str),
)


def _segment_path(parts: list[str]) -> str:
    return "/" + "/".join(quote(p, safe="") for p in parts)


def paths(known: tuple[str, ...]) -> st.SearchStrategy[str]:
    base = st.one_of(
        st.sampled_from(known),
        st.builds(
            lambda k, extra: k.rstrip("/") + "/" + quote(extra, safe="/%"),
            st.sampled_from(known),
            short_text,
        ),
        st.lists(short_text, max_size=5).map(_segment_path),
        st.sampled_from(TRICKY_PATHS),
    )
    query = st.dictionaries(short_text, short_text, max_size=4).map(
        lambda q: "?" + urlencode(q) if q else ""
    )
    return st.builds(lambda p, q: p + q if "?" not in p else p, base, query)


_PLACEHOLDER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def rule_paths(
    rules: list[str], values: dict[str, st.SearchStrategy[str]]
) -> st.SearchStrategy[str]:
    """Every route an app has (its url_map rules), each <placeholder> filled from `values`
    (by name) or with random text, so routes added later are fuzzed without editing this."""

    def fill(rule: str) -> st.SearchStrategy[str]:
        names = _PLACEHOLDER.findall(rule)
        drawn = [values.get(n, short_text).map(lambda v: quote(v, safe="")) for n in names]

        def build(*parts: str) -> str:
            pieces = iter(parts)
            return _PLACEHOLDER.sub(lambda _m: next(pieces), rule)

        return st.builds(build, *drawn)

    return st.sampled_from(sorted(set(rules))).flatmap(fill)


def _cookie_header(pairs: list[tuple[str, str]]) -> str:
    return "; ".join(f"{k}={v}" for k, v in pairs)


cookies = st.lists(
    st.tuples(
        st.sampled_from(COOKIE_NAMES),
        st.one_of(
            header_text.filter(lambda v: ";" not in v), st.binary(max_size=64).map(bytes.hex)
        ),
    ),
    max_size=3,
).map(_cookie_header)

content_types = st.one_of(
    st.sampled_from(
        [
            "multipart/form-data",
            "multipart/form-data; boundary=",
            'multipart/form-data; boundary=""',
            "multipart/mixed; boundary=x",
            "application/x-www-form-urlencoded",
            "application/json",
            "text/plain",
            "application/octet-stream",
            "multipart/form-data; boundary=" + "b" * 200,
            "multipart/form-data; charset=utf-7; boundary=zz",
        ]
    ),
    header_text,
)

headers = st.dictionaries(
    st.one_of(
        st.sampled_from(HEADER_NAMES),
        st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=20),
    ),
    header_text,
    max_size=5,
).flatmap(lambda h: st.one_of(st.just(h), cookies.map(lambda c: {**h, "Cookie": c})))


@dataclass(frozen=True)
class Part:
    name: str
    value: bytes
    filename: str | None = None
    content_type: str | None = None
    extra: str = ""


@dataclass(frozen=True)
class Multipart:
    """A multipart body that may be broken on purpose."""

    parts: list[Part]
    boundary: str
    header_boundary: str  # what the Content-Type header claims; may differ from `boundary`
    truncate: int | None = None
    newline: bytes = b"\r\n"
    with_token: bool = True  # put the page's valid CSRF token first
    extra_parts: list[Part] = field(default_factory=list)

    def body(self, token: str | None) -> bytes:
        nl = self.newline
        parts = list(self.parts)
        if self.with_token and token is not None:
            parts.insert(0, Part("csrf_token", token.encode()))
        out = bytearray()
        for part in parts + self.extra_parts:
            out += b"--" + self.boundary.encode("latin-1") + nl
            disposition = f'Content-Disposition: form-data; name="{part.name}"'
            if part.filename is not None:
                disposition += f'; filename="{part.filename}"'
            out += disposition.encode("utf-8", "surrogatepass") + nl
            if part.content_type is not None:
                out += f"Content-Type: {part.content_type}".encode("latin-1", "replace") + nl
            if part.extra:
                out += part.extra.encode("latin-1", "replace") + nl
            out += nl + part.value + nl
        out += b"--" + self.boundary.encode("latin-1") + b"--" + nl
        body = bytes(out)
        return body if self.truncate is None else body[: self.truncate]

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.header_boundary}"


def _text_bytes() -> st.SearchStrategy[bytes]:
    return st.one_of(
        any_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
        field_value.map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.binary(max_size=200),
    )


def parts(names: tuple[str, ...]) -> st.SearchStrategy[Part]:
    name = st.one_of(st.sampled_from(names), short_text.filter(lambda n: '"' not in n))
    text_part = st.builds(Part, name, _text_bytes())
    # File parts under the files field, and under any text field's name too.
    file_part = st.builds(
        Part,
        st.one_of(st.sampled_from(["files", "files", "file"]), st.sampled_from(names)),
        st.binary(max_size=3000),
        st.one_of(
            st.just(""),
            short_text.filter(lambda n: '"' not in n),
            st.sampled_from(
                [
                    "../../etc/passwd",
                    "C:\\boot.ini",
                    "акт.pdf",
                    ".htaccess",
                    "a" * 400,
                    "x\u202egnp.exe",
                    "con",
                    "\u0000.txt",
                ]
            ),
        ),
        st.one_of(
            st.none(),
            st.sampled_from(["text/plain", "application/pdf", "image/jpeg", "", "x/\u00e9"]),
            header_text,
        ),
        st.sampled_from(["", "Content-Transfer-Encoding: base64", "X-Junk: 1"]),
    )
    return st.one_of(text_part, text_part, file_part)


# RFC 2046 boundary characters, and longer than its 70 (real clients send such).
_boundary = st.one_of(
    st.just("adalfuzzboundary"),
    st.text(string.ascii_letters + string.digits + "'()+_,-./:=?", min_size=1, max_size=90),
)


def broken_multipart(
    parts: list[Part],
    boundary: str,
    other_boundary: str,
    same: bool,
    truncate: int | None,
    newline: bytes,
    with_token: bool,
    extra: list[Part],
) -> Multipart:
    return Multipart(
        parts, boundary, boundary if same else other_boundary, truncate, newline, with_token, extra
    )


def multipart(names: tuple[str, ...]) -> st.SearchStrategy[Multipart]:
    return st.builds(
        broken_multipart,
        st.lists(parts(names), max_size=8),
        _boundary,
        _boundary,
        # Mostly the boundary the header names; sometimes another one.
        st.sampled_from([True, True, True, False]),
        st.one_of(st.none(), st.none(), st.integers(0, 4000)),
        st.sampled_from([b"\r\n", b"\r\n", b"\n"]),
        st.booleans(),
        st.lists(parts(names), max_size=2),
    )


def urlencoded(names: tuple[str, ...]) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.one_of(st.sampled_from(names), short_text), field_value, max_size=10)


def _with_check_digit(body: int) -> str:
    digits = f"{body:019d}"
    return digits + receipt.damm_digit(digits)


def _spaced(code: str, seps: list[str]) -> str:
    groups = [code[i : i + 4] for i in range(0, len(code), 4)]
    out = groups[0]
    for i, group in enumerate(groups[1:]):
        out += (seps[i % len(seps)] if seps else "") + group
    return out


_separators = st.lists(
    st.sampled_from([" ", "-", "  ", "\t", "\u00a0", "\u2009", "\u200b", ".", "/", "", "\n"]),
    max_size=4,
)
digits_alphabet = "0123456789 -\u0660\u0661\u0662\uff10\uff11\u0966\u00b9\u2460"

receipt_codes = st.one_of(
    st.builds(_spaced, st.integers(0, 10**19 - 1).map(_with_check_digit), _separators),
    st.builds(lambda n: f"{n:020d}", st.integers(0, 10**20 - 1)),
    st.text(digits_alphabet, max_size=40),
    st.text(max_size=250),
    st.sampled_from(["", " ", "0" * 20, "9" * 20, "0" * 19, "0" * 21, "0" * 200, "0" * 201]),
)
