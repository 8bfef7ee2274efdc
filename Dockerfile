# Sentinel daemon and duty desk on the embedded defaults (SQLite under /data). Mount your three
# YAML files at /config and a volume at /data.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    SENTINEL_CONFIG_DIR=/config SENTINEL_DATABASE_URL=sqlite+aiosqlite:////data/sentinel.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY migrations ./migrations
RUN pip install --no-cache-dir . && useradd --system --home /data sentinel && mkdir -p /data /config \
    && chown sentinel /data
COPY sources.yaml keywords.yaml sentinel.yaml /config/

USER sentinel
VOLUME ["/data"]
# The duty desk; set SENTINEL_WEB_SECRET so sessions survive a restart, and serve it over https
# behind the office's reverse proxy.
EXPOSE 8080
CMD ["sentinel", "-v", "run", "--host", "0.0.0.0", "--port", "8080"]
