# wirewatch: one image for every service (worker, scheduler); the command picks the role.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY wirewatch ./wirewatch
COPY worker ./worker
COPY producers ./producers
COPY schemas ./schemas
RUN pip install .
# Optional spaCy entity backend (enrich.entities: spacy:en_core_web_sm): uncomment to bake it in.
# RUN pip install "spacy>=3.7" && python -m spacy download en_core_web_sm

RUN useradd --create-home --uid 10001 wirewatch && mkdir -p /inbox /data && chown wirewatch /inbox /data
USER wirewatch
ENV WIREWATCH_DATA_DIR=/data

ENTRYPOINT ["wirewatch"]
CMD ["worker"]
