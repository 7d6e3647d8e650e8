"""SQLAlchemy 2.0 typed models: datasets, analysis results, thresholds, jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: sa.JSON, list[Any]: sa.JSON}


class Dataset(Base):
    """An uploaded file: its original bytes, metadata and a normalised Parquet copy."""

    __tablename__ = "datasets"
    # Ids are never reused on SQLite, so a deleted row's id cannot name a new one (migration 0002).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    model_type: Mapped[str] = mapped_column(sa.String(32), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.Text)
    original_filename: Mapped[str] = mapped_column(sa.String(255))
    content: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    # Original upload on disk (relative to the data folder) when too large for ``content``.
    content_path: Mapped[str | None] = mapped_column(sa.String(1024))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    n_rows: Mapped[int] = mapped_column(sa.BigInteger)
    n_columns: Mapped[int] = mapped_column(sa.Integer)
    columns: Mapped[list[Any]] = mapped_column(default=list)
    roles: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source_format: Mapped[dict[str, Any]] = mapped_column(default=dict)
    quality: Mapped[dict[str, Any]] = mapped_column(default=dict)
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    parquet_path: Mapped[str] = mapped_column(sa.String(1024))
    parquet_sha256: Mapped[str] = mapped_column(sa.String(64))
    is_baseline: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now, index=True)

    results: Mapped[list[AnalysisResult]] = relationship(
        back_populates="dataset",
        cascade="all, delete-orphan",
        passive_deletes=True,
        foreign_keys="AnalysisResult.dataset_id",
    )


class AnalysisResult(Base):
    """A stored analysis: its inputs, parameters, thresholds and results."""

    __tablename__ = "analysis_results"
    # Ids are never reused on SQLite, so a deleted row's id cannot name a new one (migration 0002).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_type: Mapped[str] = mapped_column(sa.String(32), index=True)
    dataset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    reference_dataset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("datasets.id", ondelete="SET NULL")
    )
    dataset_ids: Mapped[list[Any]] = mapped_column(default=list)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    results: Mapped[dict[str, Any]] = mapped_column(default=dict)
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    statuses: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(sa.String(16), default="completed")
    software_version: Mapped[str] = mapped_column(sa.String(32))
    input_sha256: Mapped[str] = mapped_column(sa.String(64))
    duration_ms: Mapped[float] = mapped_column(sa.Float)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now, index=True)

    dataset: Mapped[Dataset | None] = relationship(back_populates="results", foreign_keys=[dataset_id])


class UserThreshold(Base):
    """The value in force of one threshold key (absent keys use the default)."""

    __tablename__ = "user_thresholds"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[float] = mapped_column(sa.Float)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class ThresholdChange(Base):
    """One change of a threshold, for the history."""

    __tablename__ = "threshold_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), index=True)
    old_value: Mapped[float | None] = mapped_column(sa.Float)
    new_value: Mapped[float] = mapped_column(sa.Float)
    changed_by: Mapped[str | None] = mapped_column(sa.String(128))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utc_now, index=True)


class Setting(Base):
    """A JSON document stored under a key (front-end criteria lists and the like)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Job(Base):
    """A background upload or analysis and its progress."""

    __tablename__ = "jobs"
    # GET /api/jobs pages newest first on (created_at, id); migration 0004 creates the same index.
    __table_args__ = (sa.Index("ix_jobs_created_at", "created_at", "id"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    state: Mapped[str] = mapped_column(sa.String(16), index=True)
    progress: Mapped[float] = mapped_column(sa.Float, default=0.0)
    message: Mapped[str | None] = mapped_column(sa.Text)
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result_id: Mapped[int | None] = mapped_column(sa.Integer)
    dataset_id: Mapped[int | None] = mapped_column(sa.Integer)
    error: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    retryable: Mapped[bool] = mapped_column(default=False)
    worker_pid: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)
