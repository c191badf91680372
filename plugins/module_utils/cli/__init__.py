# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nginx-preflight command line: argument handling (main), output formats (report), rule pages (rule_docs)."""
