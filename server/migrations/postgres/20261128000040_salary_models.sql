-- Customer salary models. A model (`sm_…`) is a name; every training run
-- adds a version and earlier versions are kept, so a prediction can name the
-- exact version it used. `row_key` (`smv_…`, a ULID) orders versions by
-- creation across models and is the list cursor. The training CSV is kept:
-- the fit is deterministic and cheap, so it is the model's stored form.
CREATE TABLE salary_models (
    row_key       TEXT PRIMARY KEY,
    id            TEXT NOT NULL,
    version       BIGINT NOT NULL,
    name          TEXT NOT NULL,
    currency      TEXT NOT NULL,
    row_count     BIGINT NOT NULL,
    summary       TEXT NOT NULL,
    training_csv  TEXT NOT NULL,
    created_by    TEXT,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX salary_models_id_version ON salary_models(id, version);
CREATE UNIQUE INDEX salary_models_name_version ON salary_models(name, version);
