-- The search slices as a table WITHOUT ROWID: its rows are its primary key ("gram", "caseId"), kept
-- once. With a rowid SQLite kept each slice three times (the table, the primary key's index and the
-- case index, each with the rowid too); without, twice. About 37% less database for the slices,
-- which were the largest part of a case's read model (bench/README.md). The same lookups: a term's
-- slice in the primary key, a case's slices through "SearchGram_caseId_idx".
-- PostgreSQL keeps its slices as they were (its migration of this name is empty).

DROP TRIGGER "Application_grams_insert";
DROP TRIGGER "Application_grams_update";
DROP TRIGGER "Application_grams_delete";

CREATE TABLE "new_SearchGram" (
    "gram" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,

    PRIMARY KEY ("gram", "caseId")
) WITHOUT ROWID;
INSERT INTO "new_SearchGram" ("gram", "caseId") SELECT "gram", "caseId" FROM "SearchGram" ORDER BY "gram", "caseId";
DROP TABLE "SearchGram";
ALTER TABLE "new_SearchGram" RENAME TO "SearchGram";
CREATE INDEX "SearchGram_caseId_idx" ON "SearchGram"("caseId");

CREATE TRIGGER "Application_grams_insert" AFTER INSERT ON "Application" BEGIN
  INSERT OR IGNORE INTO "SearchGram" ("gram", "caseId")
  SELECT substr(lower(NEW."title"), "n", 2), NEW."id" FROM "SearchPosition" WHERE "n" < length(NEW."title")
  UNION SELECT substr(lower(NEW."unitName"), "n", 2), NEW."id" FROM "SearchPosition" WHERE "n" < length(NEW."unitName");
END;

CREATE TRIGGER "Application_grams_update" AFTER UPDATE OF "title", "unitName" ON "Application" BEGIN
  DELETE FROM "SearchGram" WHERE "caseId" = OLD."id";
  INSERT OR IGNORE INTO "SearchGram" ("gram", "caseId")
  SELECT substr(lower(NEW."title"), "n", 2), NEW."id" FROM "SearchPosition" WHERE "n" < length(NEW."title")
  UNION SELECT substr(lower(NEW."unitName"), "n", 2), NEW."id" FROM "SearchPosition" WHERE "n" < length(NEW."unitName");
END;

CREATE TRIGGER "Application_grams_delete" AFTER DELETE ON "Application" BEGIN
  DELETE FROM "SearchGram" WHERE "caseId" = OLD."id";
END;
