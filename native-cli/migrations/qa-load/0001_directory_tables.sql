-- qa-load schema version 1: the Quran Apps Directory tables.
-- Table and column names are shared with the directory's Django backend. IDs are UUIDs (v5 of
-- each row's natural key when qa-load creates the row). Text limits match the validation rules
-- of qad-core (names 200, short descriptions 500, descriptions 5000, URLs 500 characters).

CREATE TABLE developers (
    id          uuid PRIMARY KEY,
    key         text NOT NULL CONSTRAINT developers_key_key UNIQUE CHECK (key <> ''),
    name_en     varchar(200) NOT NULL CHECK (name_en <> ''),
    name_ar     varchar(200),
    website     varchar(500),
    logo_url    varchar(500),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE developers IS 'App developers, one per real developer after deduplication of name variants.';
COMMENT ON COLUMN developers.key IS 'Natural key: the normalised English name of the first variant seen in the source.';

CREATE TABLE categories (
    id          uuid PRIMARY KEY,
    key         text NOT NULL CONSTRAINT categories_key_key UNIQUE CHECK (key <> ''),
    name_en     varchar(200) NOT NULL CHECK (name_en <> ''),
    name_ar     varchar(200),
    icon_svg    text,
    sort_order  integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE categories IS 'App categories in display order.';
COMMENT ON COLUMN categories.key IS 'Natural key: the key app records use (mushaf, tools, ...).';
COMMENT ON COLUMN categories.icon_svg IS 'Inline SVG markup exactly as exported; render as an image, never inject.';

CREATE TABLE apps (
    id                    uuid PRIMARY KEY,
    slug                  text NOT NULL CONSTRAINT apps_slug_key UNIQUE CHECK (slug <> ''),
    source_id             text NOT NULL CONSTRAINT apps_source_id_key UNIQUE CHECK (source_id <> ''),
    name_en               varchar(200) NOT NULL CHECK (name_en <> ''),
    name_ar               varchar(200) NOT NULL CHECK (name_ar <> ''),
    short_description_en  varchar(500),
    short_description_ar  varchar(500),
    description_en        varchar(5000),
    description_ar        varchar(5000),
    status                text,
    sort_order            integer NOT NULL DEFAULT 0,
    avg_rating            numeric(3,2) CHECK (avg_rating BETWEEN 0 AND 5),
    developer_id          uuid NOT NULL REFERENCES developers (id) ON DELETE RESTRICT,
    application_icon_url  varchar(500),
    main_image_en_url     varchar(500),
    main_image_ar_url     varchar(500),
    google_play_url       varchar(500),
    app_store_url         varchar(500),
    app_gallery_url       varchar(500),
    developer_logo_url    varchar(500),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE apps IS 'Quran apps, one per source record.';
COMMENT ON COLUMN apps.slug IS 'Natural key, derived from the English name.';
COMMENT ON COLUMN apps.source_id IS 'The source record''s id in applicationsData.ts, e.g. 1_Wahy.';
COMMENT ON COLUMN apps.developer_logo_url IS 'The record''s own Developer_Logo (the developer row keeps the first one seen).';
CREATE INDEX apps_name_en_idx ON apps (name_en);
CREATE INDEX apps_name_ar_idx ON apps (name_ar);
CREATE INDEX apps_developer_id_idx ON apps (developer_id);
CREATE INDEX apps_sort_order_idx ON apps (sort_order);

CREATE TABLE app_categories (
    app_id       uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    category_id  uuid NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    sort_order   integer NOT NULL DEFAULT 0 CHECK (sort_order >= 0),
    PRIMARY KEY (app_id, category_id)
);
COMMENT ON TABLE app_categories IS 'Which categories an app is in; sort_order is the position in the app''s own list.';
CREATE INDEX app_categories_category_id_idx ON app_categories (category_id);

CREATE TABLE screenshots (
    id          uuid PRIMARY KEY,
    app_id      uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    language    varchar(2) NOT NULL CHECK (language IN ('ar', 'en')),
    url         varchar(500) NOT NULL CHECK (url <> ''),
    sort_order  integer NOT NULL CHECK (sort_order >= 0),
    CONSTRAINT screenshots_app_language_order_key UNIQUE (app_id, language, sort_order)
);
COMMENT ON TABLE screenshots IS 'App screenshots per language, in display order.';

CREATE TABLE features (
    id          uuid PRIMARY KEY,
    key         text NOT NULL CONSTRAINT features_key_key UNIQUE CHECK (key <> ''),
    name_en     varchar(200) NOT NULL,
    name_ar     varchar(200),
    sort_order  integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE features IS 'App features (reserved: the source has none yet; qa-load leaves it empty).';

CREATE TABLE app_features (
    app_id      uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    feature_id  uuid NOT NULL REFERENCES features (id) ON DELETE CASCADE,
    PRIMARY KEY (app_id, feature_id)
);
COMMENT ON TABLE app_features IS 'Which features an app has (reserved, empty).';
CREATE INDEX app_features_feature_id_idx ON app_features (feature_id);
