# wirewatch: one image for every service (worker, io-worker, scheduler, api); the command picks the role.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY wirewatch ./wirewatch
COPY worker ./worker
COPY producers ./producers
COPY schemas ./schemas
RUN pip install .
# Optional spaCy entity backend: `docker build --build-arg SPACY_PIPELINE=en_core_web_sm .`, then run with
# WIREWATCH_ENRICH__ENTITIES=spacy:en_core_web_sm. Without the build arg the image keeps the default rules backend
# (no model, nothing downloaded); a worker configured for a pipeline the image lacks stops at start saying so.
ARG SPACY_PIPELINE=""
RUN if [ -n "$SPACY_PIPELINE" ]; then pip install ".[spacy]" && python -m spacy download "$SPACY_PIPELINE"; fi

RUN useradd --create-home --uid 10001 wirewatch && mkdir -p /inbox /data && chown wirewatch /inbox /data
USER wirewatch
ENV WIREWATCH_DATA_DIR=/data

ENTRYPOINT ["wirewatch"]
CMD ["worker"]
