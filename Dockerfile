# Sentinel daemon and duty desk. Mount your three YAML files at /config; the database is
# SENTINEL_DATABASE_URL (default: SQLite in the /data volume; docker-compose.yml: PostgreSQL).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    SENTINEL_CONFIG_DIR=/config SENTINEL_DATABASE_URL=sqlite+aiosqlite:////data/sentinel.db

# pango for the PDF exports (WeasyPrint), a CJK font for their text
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz-subset0 fonts-noto-cjk && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY src ./src
COPY migrations ./migrations
# constraints.txt: the versions the tests ran with, so two builds get the same packages
RUN pip install --no-cache-dir -c constraints.txt . \
    && useradd --system --home /data sentinel && mkdir -p /data /config && chown sentinel /data
COPY sources.yaml keywords.yaml sentinel.yaml /config/

USER sentinel
VOLUME ["/data"]
# The duty desk. Set SENTINEL_WEB_SECRET so sessions survive a restart, serve it over https
# behind the office's reverse proxy and set SENTINEL_WEB_SECURE_COOKIES=1 there.
# The first login: docker exec -it CONTAINER sentinel users add admin --role admin
EXPOSE 8080
# ready: the database answers and the daemon's ticks are recent (see /readyz)
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8080/readyz', timeout=4)"]
CMD ["sentinel", "-v", "run", "--host", "0.0.0.0", "--port", "8080"]
