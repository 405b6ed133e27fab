-- CreateTable
CREATE TABLE "SearchGram" (
    "gram" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,

    CONSTRAINT "SearchGram_pkey" PRIMARY KEY ("gram","caseId")
);

-- CreateTable
CREATE TABLE "SearchPosition" (
    "n" INTEGER NOT NULL,

    CONSTRAINT "SearchPosition_pkey" PRIMARY KEY ("n")
);

-- CreateIndex
CREATE INDEX "SearchGram_caseId_idx" ON "SearchGram"("caseId");

-- Positions 1 to 1,000, as in SQLite (where a trigger slices text at them); unused here.
INSERT INTO "SearchPosition" ("n") SELECT generate_series(1, 1000);

-- The slices of the applications already written, then a trigger that keeps them with each row:
-- every two consecutive characters of the title and of the host unit, ASCII letters lower-cased
-- (as SQLite's lower() does, so that both databases find the same cases).
CREATE FUNCTION "search_grams_of"(t text) RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
  SELECT DISTINCT substr(x, n, 2)
  FROM (SELECT translate(t, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') AS x) s, generate_series(1, length(x) - 1) n
$$;

INSERT INTO "SearchGram" ("gram", "caseId")
SELECT g, a."id" FROM "Application" a, LATERAL (SELECT "search_grams_of"(a."title") AS g UNION SELECT "search_grams_of"(a."unitName")) s
ON CONFLICT DO NOTHING;

CREATE FUNCTION "search_grams_keep"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW."title" IS NOT DISTINCT FROM OLD."title" AND NEW."unitName" IS NOT DISTINCT FROM OLD."unitName" THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM "SearchGram" WHERE "caseId" = OLD."id";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO "SearchGram" ("gram", "caseId")
    SELECT g, NEW."id" FROM (SELECT "search_grams_of"(NEW."title") AS g UNION SELECT "search_grams_of"(NEW."unitName")) s
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "Application_search_grams" AFTER INSERT OR UPDATE OR DELETE ON "Application"
FOR EACH ROW EXECUTE FUNCTION "search_grams_keep"();
