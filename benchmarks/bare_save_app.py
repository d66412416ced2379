"""The floor for the save benchmarks: a bare Flask + SQLAlchemy endpoint doing one upsert per request.

It keeps the newest answer per (attempt, question) by sequence number, as the real save
does, with no login, CSRF, access checks or validation. Served by gunicorn
(``benchmarks.bare_save_app:app``, database from ``BARE_DATABASE_URL``) or built in-process
with ``create_bare_app(engine)`` (``bench_day_paths.py`` drives it through Flask's test client
beside the real save, in the same run).
"""

import os

from flask import Flask, jsonify, request
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine
from sqlalchemy.dialects.postgresql import insert

metadata = MetaData()
answers = Table(
    "bare_answers",
    metadata,
    Column("attempt_id", Integer, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("response", String(20)),
)


def create_bare_app(engine):
    metadata.create_all(engine)
    app = Flask(__name__)

    @app.post("/save")
    def save():
        data = request.get_json()
        statement = insert(answers).values(
            attempt_id=data["attempt"], position=data["position"], seq=data["seq"], response=data["response"]
        )
        statement = statement.on_conflict_do_update(
            index_elements=["attempt_id", "position"],
            set_={"seq": statement.excluded.seq, "response": statement.excluded.response},
            where=answers.c.seq < statement.excluded.seq,
        )
        with engine.begin() as conn:
            conn.execute(statement)
        return jsonify({"status": "saved"})

    return app


if "BARE_DATABASE_URL" in os.environ:
    engine = create_engine(
        os.environ["BARE_DATABASE_URL"], pool_size=int(os.environ.get("DB_POOL_SIZE", "4")), max_overflow=2
    )
    app = create_bare_app(engine)
    engine.dispose()  # no pooled connection may cross gunicorn's fork
