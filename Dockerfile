# The prediction API: the exported champion served by uvicorn, nothing else.
#
#   make pipeline                        # produces models/ (the image copies it)
#   docker build -t penguins-api .
#   docker run --rm -p 8000:8000 penguins-api
#
# To serve from a remote MLflow registry instead, see docs/deployment/docker.md.
# Pinned to a patch release (a tag like 3.11-slim moves under the image; tests/unit/test_image_pins.py checks
# every image the project names). Bookworm: Debian 12, as the course's dev container.
FROM python:3.11.15-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MLFLOW_DISABLE_TELEMETRY=true \
    DO_NOT_TRACK=1 \
    PENGUINS_PROJECT_ROOT=/app

WORKDIR /app

# Only the serving dependencies, pinned: requirements-serve.lock is the subset of
# requirements.lock that lib/serving/ needs (make lock writes both).
COPY requirements-serve.lock ./
RUN pip install -r requirements-serve.lock

# Optional: MLflow, to load models:/penguins-classifier@champion from a registry.
ARG WITH_MLFLOW=false
RUN if [ "$WITH_MLFLOW" = "true" ]; then pip install "mlflow==3.17.2"; fi

# The code the API imports, and the model it serves.
COPY lib/__init__.py lib/telemetry.env lib/paths.py lib/ports.py lib/schema.py lib/modeling.py lib/champion.py lib/params.py lib/tracking.py lib/
COPY lib/serving/ lib/serving/
COPY models/penguins-classifier.skops models/model.json models/

RUN useradd --create-home --uid 10001 api
USER api

EXPOSE 8000
# python -m lib.serving: the app's limits (body size, concurrency, slow uploads), slow request
# headers cut off, and on SIGTERM a graceful stop (requests in flight finish within
# PENGUINS_GRACEFUL_TIMEOUT_S, 20 s) that exits 0. Docker waits 10 s before SIGKILL by default:
# run with `docker run --stop-timeout 30` (compose: stop_grace_period: 30s).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"]
CMD ["python", "-m", "lib.serving", "8000", "--host", "0.0.0.0"]
