# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options that say which nginx configuration a module reads (module_utils/module_options.py)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  path:
    description:
      - The main configuration file (the file nginx is started with, C(-c)), or a file included in a block
        (see O(context)), or a template (see O(template_variables)).
      - A directory stands for the C(nginx.conf) in it; a file holding saved C(nginx -T) output is read as
        such (recognised by its first lines).
    type: path
    default: /etc/nginx/nginx.conf
  prefix:
    description:
      - nginx's prefix (C(-p)), given to C(nginx -t); relative C(pid) and log paths start there.
      - Relative C(include) paths start at the directory of O(path) whatever it says, as nginx's do.
    type: path
  context:
    description:
      - Where the top level of O(path) stands. V(main) is a whole C(nginx.conf); V(http), V(stream),
        V(server) and V(location) are files included in such a block (C(conf.d/shop.conf),
        C(sites-available/shop)), read as if they were there.
      - V(auto) guesses from what the file holds (C(server) and C(upstream) blocks mean V(http)).
    type: str
    choices: [auto, main, http, stream, server, location]
    default: auto
  root:
    description:
      - A directory that stands for C(/), for a copy of a tree such as a staged C(etc/nginx/).
      - Absolute paths in the configuration (includes, symbolic links) are read under it, and results
        name files as nginx will see them (C(/etc/nginx/sites-enabled/shop)).
      - C(nginx -t) does not run on such a tree (it would read the live files).
    type: path
  source:
    description:
      - V(files) reads the files. V(nginx_dump) runs C(nginx -T -c path) and reads what nginx itself read,
        each result at its own file and line; for hosts where the files cannot be read otherwise.
    type: str
    choices: [files, nginx_dump]
    default: files
  template_variables:
    description:
      - Read O(path) as a Docker-style template (C(/etc/nginx/templates/*.template)) rendered by envsubst
        with these variables, as the official nginx image does at start-up.
      - Results stay at the template's lines; findings name the variable, for example
        C(BACKEND_HOST=0 makes "proxy_pass http://0:8080;").
      - A variable in capitals that the template uses but that is not given renders empty.
    type: dict
  template_env_files:
    description:
      - Env files (Compose C(.env), systemd C(EnvironmentFile=)) whose variables render the template, before
        O(template_variables). Giving one makes O(path) a template.
    type: list
    elements: path
    default: []
  template_env_filter:
    description:
      - Substitute only variables whose names match this regular expression, as C(NGINX_ENVSUBST_FILTER) does.
    type: str
  nginx_binary:
    description:
      - The nginx binary (for C(nginx -T), C(nginx -t) and C(nginx -v)), a name looked up in C(PATH) or an
        absolute path.
    type: str
    default: nginx
"""
