"""Ids are never handed out twice, and the migration that ensures it keeps every row."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from mmt.storage.db import Database, alembic_config, upgrade_database


def test_migrations_single_head():
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, heads


def test_deleted_ids_not_reused(client, upload):
    first = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    second = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    result = client.post("/api/analyze/pd", json={"dataset_id": second}).get_json()["analysis_result_id"]
    assert client.delete(f"/api/analyses/{result}").status_code == 200
    assert client.delete(f"/api/datasets/{second}").status_code == 200
    third = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    assert third > second > first
    again = client.post("/api/analyze/pd", json={"dataset_id": third}).get_json()["analysis_result_id"]
    assert again > result
    # The deleted dataset's id stays unknown instead of naming the new upload.
    assert client.get(f"/api/datasets/{second}").status_code == 404


INSERT_DATASET = sa.text(
    "INSERT INTO datasets (id, model_type, name, original_filename, sha256, size_bytes, n_rows, n_columns, columns, "
    "roles, source_format, quality, warnings, parquet_path, parquet_sha256, is_baseline, created_at) VALUES "
    "(:id, 'pd', :name, 'f.csv', 'sha', 1, 1, 1, '[]', '{}', '{}', '{}', '[]', 'p', 'q', 0, '2024-01-01')"
)
INSERT_RESULT = sa.text(
    "INSERT INTO analysis_results (analysis_type, dataset_id, dataset_ids, parameters, thresholds, results, warnings, "
    "statuses, status, software_version, input_sha256, duration_ms, created_at) VALUES "
    "('pd', :id, '[]', '{}', '{}', '{}', '[]', '[]', 'completed', 'v', 'h', 1, '2024-01-01')"
)


def test_sqlite_upgrade_keeps_rows(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    database = Database(url)
    config = alembic_config(url)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    with database.engine.begin() as connection:
        for dataset_id in (1, 2, 3):
            connection.execute(INSERT_DATASET, {"id": dataset_id, "name": f"d{dataset_id}"})
            connection.execute(INSERT_RESULT, {"id": dataset_id})
    upgrade_database(database.engine, tmp_path / "migrate.lock")
    with database.engine.begin() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM analysis_results")).scalar() == 3
        assert [row[0] for row in connection.execute(sa.text("SELECT name FROM datasets ORDER BY id"))] == ["d1", "d2", "d3"]
        assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(sa.text("PRAGMA foreign_key_check")).fetchall() == []
        # The cascade still works after the rebuild, and the newest id is not reused.
        connection.execute(sa.text("DELETE FROM datasets WHERE id = 3"))
        assert connection.execute(sa.text("SELECT count(*) FROM analysis_results")).scalar() == 2
        connection.execute(INSERT_DATASET.bindparams(id=None, name="new"))
        assert connection.execute(sa.text("SELECT max(id) FROM datasets")).scalar() == 4
    database.dispose()


def test_migrated_schema_matches_models(database_url: str, tmp_path: Path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from mmt.storage.models import Base

    database = Database(database_url)
    upgrade_database(database.engine, tmp_path / "migrate.lock")
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    with database.engine.connect() as connection:
        indexes = {index["name"]: index["column_names"] for index in sa.inspect(connection).get_indexes("jobs")}
    assert indexes["ix_jobs_created_at"] == ["created_at", "id"]
