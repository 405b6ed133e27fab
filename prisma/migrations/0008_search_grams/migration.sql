-- CreateTable
CREATE TABLE "SearchGram" (
    "gram" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,

    PRIMARY KEY ("gram", "caseId")
);

-- CreateTable
CREATE TABLE "SearchPosition" (
    "n" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT
);

-- CreateIndex
CREATE INDEX "SearchGram_caseId_idx" ON "SearchGram"("caseId");

-- Positions 1 to 1,000 (a trigger cannot use a recursive WITH to count).
INSERT INTO "SearchPosition" ("n")
WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 1000) SELECT n FROM k;

-- The slices of the applications already written, then triggers that keep them with each row:
-- every two consecutive characters of the title and of the host unit, ASCII letters lower-cased
-- (SQLite's lower(), as LIKE ignores their case and no other letters').
INSERT OR IGNORE INTO "SearchGram" ("gram", "caseId")
SELECT substr(t."text", p."n", 2), t."id"
FROM (SELECT "id", lower("title") AS "text" FROM "Application" UNION ALL SELECT "id", lower("unitName") FROM "Application") t
JOIN "SearchPosition" p ON p."n" < length(t."text");

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
