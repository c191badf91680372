# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.preflight.nginx.plugins.module_utils.findings import DIRECTIVE, INFO, Rule

# "http2 on;" exists from this version on; before it, the listen parameter is the only way.
HTTP2_DIRECTIVE_SINCE = (1, 25, 1)


def check(model):
    version = model.nginx_version
    if version is not None and version < HTTP2_DIRECTIVE_SINCE:
        return  # that nginx has no "http2 on;": the parameter is right there
    for listen in model.listens():
        if not listen.http2:
            continue
        if version is None:
            yield (listen.directive,
                   "\"listen ... http2\" is deprecated since nginx 1.25.1 (nginx before 1.25.1 knows only this form)",
                   "on nginx 1.25.1 or later, drop http2 from listen and add \"http2 on;\" to the server; "
                   "pass the nginx version (--nginx-version) to hear this only where it applies")
        else:
            yield (listen.directive,
                   "\"listen ... http2\" is deprecated since nginx 1.25.1 (this nginx is %s)"
                   % ".".join(str(part) for part in version),
                   "drop http2 from listen and add \"http2 on;\" to the server")


RULE = Rule(
    id="listen-http2-deprecated",
    severity=INFO,
    scope=DIRECTIVE,
    summary="listen ... http2 is deprecated since nginx 1.25.1; use http2 on;",
    why="""
        Since nginx 1.25.1 HTTP/2 is switched on per server with "http2 on;" and
        the listen parameter only earns a warning at start-up. Older nginx (1.22
        in Debian 12) does not know "http2 on;" at all, so the advice depends on
        the nginx that runs the configuration: with a known version before
        1.25.1 the rule stays silent; with an unknown version it says both.
    """,
    bad="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080 http2;  # <-
                return 204;
            }
        }
    """,
    good="""
        events {}
        http {
            server {
                listen 127.0.0.1:8080;
                http2 on;
                return 204;
            }
        }
    """,
    check=check,
)
