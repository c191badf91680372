# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import re
from urllib.parse import unquote

from ansible_collections.preflight.nginx.plugins.module_utils.findings import DIRECTIVE, WARNING, Rule

_LOOPBACK_V4 = "127."
# Assertions that look past the characters a regex has matched: with an unknown end of the URI,
# a match found in the known part only counts when the pattern has none of them.
_LOOKS_BEYOND = re.compile(r"\$|\\[ZzbB]|\(\?[=!]")
_LOOKAHEAD = re.compile(r"\(\?[=!]")


def _reaches(listen, target):
    """True when connecting to ``target`` lands on the ``listen`` socket."""
    if listen.port is None or target.port != listen.port:
        return False
    if listen.kind == "wildcard" or (listen.kind == "ipv4" and listen.address == "0.0.0.0"):
        return (target.kind == "ipv4" and target.address.startswith(_LOOPBACK_V4)) or \
            (target.kind == "name" and target.host.lower() == "localhost")
    if listen.kind == "ipv6" and listen.address == "::":
        return target.kind == "ipv6" and target.address == "::1"
    if listen.kind in ("ipv4", "ipv6"):
        return target.address == listen.address
    return listen.kind == "name" and target.host is not None and listen.host.lower() == target.host.lower()


def _own_listen(target):
    """(member, listen): the address ``target`` connects to that is its own server's socket, or None."""
    members = [target.endpoint]
    if target.upstream is not None:
        members = [endpoint for directive, endpoint in target.upstream.servers]
    for member in members:
        listen = next((lst for lst in target.server.listens if _reaches(lst.endpoint, member)), None)
        if listen is not None:
            return member, listen
    return None


def check(model):
    hops = []  # every pass that sends requests back to its own server
    for target in model.passes:
        if target.server is not None and not target.sets_host_header:
            found = _own_listen(target)
            if found is not None:
                hops.append((target, found))
    sends_back = {id(target.directive) for target, found in hops}
    for target, (member, listen) in hops:
        if _lands_in_a_loop(model, target, sends_back):
            yield (target.directive,
                   "%s sends requests to %s, which is this server's own listen socket (%s): a proxy loop"
                   % (target.directive.name, member.display, listen.endpoint.display),
                   "point it at the backend's address; if the loop is meant, set the Host header "
                   "to route it to another server")


# --- where the request sent back lands -----------------------------------------------

def _lands_in_a_loop(model, target, sends_back):
    """Whether the request sent back to this server reaches a location that sends it back again.

    A proxy_pass with a URI part replaces the request's URI, so nginx picks the location anew
    for it (a deliberate hop, e.g. /remote/x into /app/remote.php/x served by PHP-FPM). Without
    a URI, or where what the URI becomes cannot be told, it is taken as a loop.
    """
    uri = target.endpoint.uri
    enclosing = _enclosing_blocks(target.directive)
    if not uri or model.config.context == "location" \
            or any(d.name == "rewrite" for block in enclosing for d in block.block or ()):
        # No URI part: the original URI comes back to the location that sent it. A location
        # fragment does not show the server's other locations; a rewrite changes the URI
        # again (in the location, nginx then sends the rewritten URI instead).
        return True
    known, complete = _static_part(uri)
    location = next((block for block in enclosing if block.name == "location"), None)
    if "$" not in uri and (location is None or _location_kind(location)[0] != "="):
        # Without variables nginx appends what follows the location's prefix: with location /x/,
        # /x/a goes out as URI + "a". Only an "=" location leaves nothing to append.
        complete = False
    if not complete and "/" not in known[1:]:
        return True  # the first path segment is not known: any location may get it
    return any(_proxies_back(candidate, sends_back)
               for candidate in _candidates(target.server.directive, known, complete))


def _enclosing_blocks(directive):
    """The blocks around ``directive`` up to its server, innermost first."""
    blocks, parent = [], directive.parent
    while parent is not None and parent.name != "server":
        blocks.append(parent)
        parent = parent.parent
    return blocks + ([parent] if parent is not None else [])


def _static_part(uri):
    """(the URI nginx will match, or its known beginning; whether it is the whole URI)."""
    static = uri.split("$", 1)[0]
    path = static.split("?", 1)[0]
    # The receiving nginx decodes %XX and merges slashes before it matches locations.
    return re.sub(r"/{2,}", "/", unquote(path)), static == uri or "?" in static


def _proxies_back(location, sends_back):
    """The location, or anything nested in it (an if, a nested location), sends requests back."""
    stack = [location]
    while stack:
        directive = stack.pop()
        if id(directive) in sends_back:
            return True
        stack.extend(directive.block or ())
    return False


def _location_kind(location):
    """(modifier, name) of a location: "=", "^~", "~", "~*", "@" or "" (prefix)."""
    args = location.args
    if len(args) >= 2:
        return args[0], args[1]
    name = args[0] if args else ""
    for modifier in ("=", "^~", "~*", "~", "@"):
        if name.startswith(modifier):
            return modifier, name[len(modifier):]
    return "", name


def _candidates(block, known, complete):
    """The locations of ``block`` nginx may choose for a URI (``known``, or a URI starting with it).

    nginx's order (ngx_http_core_find_location): an exact "=" match; else the longest prefix,
    which ends the search when it is "^~"; else the first regex that matches, in file order;
    else that longest prefix. Nested locations are searched inside the one chosen, first: any
    location nested in a candidate counts as part of it. Where the unknown rest of the URI
    could change the choice, every location it could choose is a candidate.
    """
    exact, prefixes, regexes = [], [], []
    for location in block.children("location"):
        modifier, name = _location_kind(location)
        if modifier == "=":
            exact.append((name, location))
        elif modifier in ("", "^~"):
            prefixes.append((name, modifier == "^~", location))
        elif modifier in ("~", "~*"):
            regexes.append((name, modifier == "~*", location))
    if complete:
        hit = next((location for name, location in exact if name == known), None)
        if hit is not None:
            return [hit]
        found = []
    else:
        found = [location for name, location in exact if name.startswith(known)]
    matching = [p for p in prefixes if known.startswith(p[0])]
    longest = max(matching, key=lambda p: len(p[0]), default=None)
    # With the end of the URI unknown, a longer prefix may still match.
    found.extend(location for name, noregex, location in prefixes
                 if not complete and len(name) > len(known) and name.startswith(known))
    nested = False
    if longest is not None:
        found.append(longest[2])
        if longest[1] and len(found) == 1:
            return found  # "^~": no regex is tried
        nested = bool(longest[2].children("location"))
    for pattern, caseless, location in regexes:
        matches = _regex_matches(pattern, caseless, known, complete)
        if matches is not False:
            found.append(location)
        if matches is True:
            # The first regex that matches wins over the longest prefix, unless that prefix is
            # "^~" (then a longer prefix may have let the regexes in) or its nested locations,
            # searched first, may take the request.
            if longest is not None and not (longest[1] or nested):
                found.remove(longest[2])
            return found
    return found


def _regex_matches(pattern, caseless, known, complete):
    """True, False, or None when it depends on the unknown rest of the URI (or on PCRE)."""
    try:
        regex = re.compile(pattern, re.IGNORECASE if caseless else 0)
    except re.error:
        return None  # PCRE syntax Python does not read: cannot be told
    match = regex.search(known)
    if complete:
        return match is not None
    if match is not None and not _LOOKAHEAD.search(pattern) and (
            match.end() < len(known) or not _LOOKS_BEYOND.search(pattern)):
        return True  # matched within the known part, with nothing looking past it
    head = _anchored_head(pattern)
    if head is not None:
        head, start = (head.lower(), known.lower()) if caseless else (head, known)
        if not (head.startswith(start) or start.startswith(head)):
            return False  # "^/remote/" can never match a URI that starts "/app/"
    return None


def _anchored_head(pattern):
    """The literal text a ``^``-anchored pattern must start with, or None."""
    if not pattern.startswith("^") or "|" in pattern:
        return None
    head, index = [], 1
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern) and not pattern[index + 1].isalnum():
            head.append(pattern[index + 1])
            index += 2
            continue
        if char in ".[](){}*+?|^$\\":
            if char in "?*{" and head:
                head.pop()  # the character before a "may be absent" quantifier
            break
        head.append(char)
        index += 1
    return "".join(head)


RULE = Rule(
    id="proxy-loop",
    severity=WARNING,
    scope=DIRECTIVE,
    summary="A *_pass sends requests back to a socket the same server listens on.",
    why="""
        A proxy_pass to the server's own address and port sends each request to
        itself until nginx runs out of connections or workers ("worker
        connections are not enough"), and the site stops answering. This
        happens when a backend port is mistyped as the front-end port. Loops
        that are meant to route to another server block set a Host header, and
        are left alone. A proxy_pass with a URI part is a hop, not a loop, when
        the location nginx picks for the new URI does not proxy back again
        (/remote/x rewritten into /app/remote.php/x, served by PHP-FPM).
    """,
    bad="""
        events {}
        http {
            server {
                listen 8080;
                location / {
                    proxy_pass http://127.0.0.1:8080;  # <-
                }
            }
        }
    """,
    good="""
        events {}
        http {
            server {
                listen 8080;
                location / {
                    proxy_pass http://127.0.0.1:8081;
                }
            }
        }
    """,
    check=check,
)
