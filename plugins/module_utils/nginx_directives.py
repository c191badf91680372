# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which directives nginx knows.

crossplane's table stops at about nginx 1.17 and misses a few older ones (the
mail module's "proxy"); those are listed here, checked against the command
tables in nginx's own source, so that stock directives are never "unknown".
"""

from __future__ import annotations

try:
    from crossplane.analyzer import DIRECTIVES as _CROSSPLANE_DIRECTIVES
except ImportError:  # the loader reports the missing library
    _CROSSPLANE_DIRECTIVES = {}

# Directives of nginx 1.18 to current mainline (and NGINX Plus) unknown to crossplane.
MODERN_DIRECTIVES = frozenset((
    "http2", "http3", "http3_hq", "http3_max_concurrent_streams", "http3_stream_buffer_size",
    "quic_active_connection_id_limit", "quic_bpf", "quic_gso", "quic_host_key", "quic_retry",
    "ssl_reject_handshake", "ssl_conf_command", "proxy_ssl_conf_command", "grpc_ssl_conf_command",
    "uwsgi_ssl_conf_command", "ssl_alpn", "ssl_ocsp", "ssl_ocsp_cache", "ssl_ocsp_responder",
    "ssl_certificate_cache", "proxy_ssl_certificate_cache", "grpc_ssl_certificate_cache",
    "uwsgi_ssl_certificate_cache", "ssl_key_log", "ssl_object_cache_inheritable",
    "ssl_certificate_compression", "keepalive_time", "auth_delay", "limit_req_dry_run",
    "limit_conn_dry_run", "proxy_half_close", "proxy_socket_keepalive", "fastcgi_socket_keepalive",
    "grpc_socket_keepalive", "uwsgi_socket_keepalive", "scgi_socket_keepalive",
    "memcached_socket_keepalive", "proxy_pass_trailers", "mp4_start_key_frame", "early_hints",
    "server_name", "pass", "status_zone", "resolver", "resolver_timeout", "max_errors", "js_import",
    "js_var", "js_body_filter", "js_header_filter", "js_fetch_buffer_size", "js_fetch_ciphers",
    "js_fetch_max_response_buffer_size", "js_fetch_protocols", "js_fetch_timeout",
    "js_fetch_trusted_certificate", "js_fetch_verify", "js_fetch_verify_depth",
    "js_shared_dict_zone", "js_periodic", "js_preload_object", "js_engine", "js_context_reuse",
    "zone_sync", "zone_sync_server", "keyval", "keyval_zone", "mgmt", "license_token",
    "usage_report", "acme_issuer", "acme_shared_zone", "acme_certificate", "uri", "account_key",
    "contact", "state_path", "accept_terms_of_service", "challenge", "external_account_key",
    "ssl_trusted_certificate_cache", "random", "otel_exporter", "otel_service_name", "otel_trace",
    "otel_trace_context", "otel_span_name", "otel_span_attr",
    # Read off nginx's own command tables (src/*/*.c, 1.22 to 1.29) and missing from crossplane's:
    # mail
    "proxy", "proxy_smtp_auth",
    # stream
    "proxy_downstream_buffer", "proxy_upstream_buffer", "proxy_ssl_alpn",
    # http
    "proxy_cookie_flags", "add_header_inherit", "add_trailer_inherit", "client_body_early_read",
    "keepalive_min_timeout", "max_headers", "ssl_ech_file", "userid_flags", "uwsgi_string",
    "xml_external_entities", "http2_pool_size", "http2_streams_index_size", "gzip_hash", "gzip_window",
    "gzip_no_buffer", "postpone_gzipping", "post_action", "open_file_cache_events",
    "ssi_ignore_recycled_buffers", "degradation", "degrade",
    "proxy_socket_rcvbuf", "proxy_socket_sndbuf", "fastcgi_socket_rcvbuf", "fastcgi_socket_sndbuf",
    "grpc_socket_rcvbuf", "grpc_socket_sndbuf", "scgi_socket_rcvbuf", "scgi_socket_sndbuf",
    "uwsgi_socket_rcvbuf", "uwsgi_socket_sndbuf",
    "tunnel_pass", "tunnel_bind", "tunnel_buffer_size", "tunnel_connect_timeout", "tunnel_next_upstream",
    "tunnel_next_upstream_timeout", "tunnel_next_upstream_tries", "tunnel_read_timeout", "tunnel_send_lowat",
    "tunnel_send_timeout", "tunnel_socket_keepalive", "tunnel_socket_rcvbuf", "tunnel_socket_sndbuf",
    # events (platform-specific methods)
    "epoll_events", "kqueue_changes", "kqueue_events", "devpoll_changes", "devpoll_events",
    "eventport_events", "iocp_threads", "post_acceptex", "acceptex_read",
))

# Common third-party modules: reported only when misspelled close to a stock name.
_THIRD_PARTY_PREFIXES = ("lua_", "more_", "brotli", "vhost_traffic_status", "geoip2",
                         "modsecurity", "pagespeed", "sticky", "set_", "echo", "push_stream",
                         "rtmp", "njs_", "headers_more", "access_by_lua", "rewrite_by_lua",
                         "content_by_lua", "header_filter_by_lua", "body_filter_by_lua",
                         "log_by_lua", "balancer_by_lua", "ssl_certificate_by_lua",
                         "init_by_lua", "init_worker_by_lua", "set_by_lua", "preread_by_lua",
                         "exit_worker_by_lua", "server_rewrite_by_lua", "ssl_client_hello_by_lua",
                         "ssl_session_fetch_by_lua", "ssl_session_store_by_lua", "upstream_check",
                         "check", "vts_", "ntlm", "dav_ext", "fancyindex", "upload_progress",
                         "auth_pam", "auth_ldap", "cache_purge", "passenger_", "nchan_")

# Blocks whose contents are values, not directives.
VALUE_BLOCKS = frozenset(("map", "types", "geo", "split_clients", "charset_map", "match",
                          ))


# The stock directives, for the common case of a plain set look-up.
KNOWN_DIRECTIVES = frozenset(_CROSSPLANE_DIRECTIVES) | MODERN_DIRECTIVES


def is_known_directive(name):
    return (name in KNOWN_DIRECTIVES
            or name.startswith(_THIRD_PARTY_PREFIXES) or name.endswith(("_by_lua", "_by_lua_block",
                                                                        "_by_lua_file")))


def known_directives():
    return sorted(set(_CROSSPLANE_DIRECTIVES) | MODERN_DIRECTIVES)


def holds_values(block_name):
    return block_name in VALUE_BLOCKS
