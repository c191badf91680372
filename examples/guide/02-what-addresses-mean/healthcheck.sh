#!/bin/sh
# A cron health check: curl is a client, so it needs an address it can reach.
curl -fsS http://0:8080/health
curl -fsS "http://[::]:8080/health"
curl -fsS http://127.0.0.1:8080/health
curl -fsS "http://[::1]:8080/health"
