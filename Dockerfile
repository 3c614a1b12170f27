# syntax=docker/dockerfile:1
# Gameball Checkout Bot: a small image that runs as a non-root user.
#   docker build -t checkout-bot .
#   docker run --env-file .env -p 8080:8080 -v checkout-bot-data:/data checkout-bot
# Long polling instead of webhooks: `... checkout-bot run` with --no-healthcheck (see README).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: the bot and its dependencies in a virtualenv ---
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml setup.py README.md ./
COPY bot/ bot/
# The build compiles the catalogs into the package (setup.py); the .po sources stay behind.
COPY locales/ locales/
RUN /opt/venv/bin/pip install .

# --- runtime: no compilers, no sources, no secrets ---
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="Gameball Checkout Bot" \
      org.opencontainers.image.description="Telegram bot that identifies Gameball loyalty customers at checkout"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATA_DIR=/data \
    PORT=8080
RUN useradd --system --user-group --uid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin checkout \
    && mkdir /data \
    && chown checkout:checkout /data
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# Numeric, so orchestrators (Kubernetes runAsNonRoot) can verify the user is not root.
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
# Webhook mode only: `checkout-bot run` (long polling) has no HTTP listener, so run that with
# --no-healthcheck. No curl in slim images: Python asks /healthz, bypassing any HTTP proxy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.build_opener(r.ProxyHandler({})).open('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"]
ENTRYPOINT ["checkout-bot"]
CMD ["webhook"]
