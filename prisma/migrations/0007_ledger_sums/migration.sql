-- CreateTable
CREATE TABLE "LedgerSum" (
    "programmeId" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "amountFen" BIGINT NOT NULL,
    "entries" INTEGER NOT NULL,

    PRIMARY KEY ("programmeId", "caseId", "kind", "year")
);

-- CreateIndex
CREATE INDEX "LedgerEntry_programmeId_id_idx" ON "LedgerEntry"("programmeId", "id");

-- CreateIndex
CREATE INDEX "Application_programmeId_updatedAt_idx" ON "Application"("programmeId", "updatedAt");

-- CreateIndex
CREATE INDEX "Station_programmeId_updatedAt_idx" ON "Station"("programmeId", "updatedAt");

-- The sums of the entries already written, then triggers that keep them: each entry moves its sum
-- in its own transaction, whoever writes it. The year is the movement's in Asia/Shanghai (UTC+8,
-- no daylight saving), as the report counts it.
INSERT INTO "LedgerSum" ("programmeId", "caseId", "kind", "year", "amountFen", "entries")
SELECT "programmeId", COALESCE("caseId", ''), "kind", CAST(strftime('%Y', "at", '+8 hours') AS INTEGER), SUM("amountFen"), COUNT(*)
FROM "LedgerEntry" GROUP BY 1, 2, 3, 4;

CREATE TRIGGER "LedgerEntry_sum_insert" AFTER INSERT ON "LedgerEntry" BEGIN
  INSERT INTO "LedgerSum" ("programmeId", "caseId", "kind", "year", "amountFen", "entries")
  VALUES (NEW."programmeId", COALESCE(NEW."caseId", ''), NEW."kind", CAST(strftime('%Y', NEW."at", '+8 hours') AS INTEGER), NEW."amountFen", 1)
  ON CONFLICT ("programmeId", "caseId", "kind", "year") DO UPDATE SET "amountFen" = "amountFen" + excluded."amountFen", "entries" = "entries" + 1;
END;

CREATE TRIGGER "LedgerEntry_sum_delete" AFTER DELETE ON "LedgerEntry" BEGIN
  UPDATE "LedgerSum" SET "amountFen" = "amountFen" - OLD."amountFen", "entries" = "entries" - 1
  WHERE "programmeId" = OLD."programmeId" AND "caseId" = COALESCE(OLD."caseId", '') AND "kind" = OLD."kind" AND "year" = CAST(strftime('%Y', OLD."at", '+8 hours') AS INTEGER);
  DELETE FROM "LedgerSum" WHERE "programmeId" = OLD."programmeId" AND "entries" = 0;
END;

CREATE TRIGGER "LedgerEntry_sum_update" AFTER UPDATE OF "programmeId", "caseId", "kind", "amountFen", "at" ON "LedgerEntry" BEGIN
  UPDATE "LedgerSum" SET "amountFen" = "amountFen" - OLD."amountFen", "entries" = "entries" - 1
  WHERE "programmeId" = OLD."programmeId" AND "caseId" = COALESCE(OLD."caseId", '') AND "kind" = OLD."kind" AND "year" = CAST(strftime('%Y', OLD."at", '+8 hours') AS INTEGER);
  DELETE FROM "LedgerSum" WHERE "programmeId" = OLD."programmeId" AND "entries" = 0;
  INSERT INTO "LedgerSum" ("programmeId", "caseId", "kind", "year", "amountFen", "entries")
  VALUES (NEW."programmeId", COALESCE(NEW."caseId", ''), NEW."kind", CAST(strftime('%Y', NEW."at", '+8 hours') AS INTEGER), NEW."amountFen", 1)
  ON CONFLICT ("programmeId", "caseId", "kind", "year") DO UPDATE SET "amountFen" = "amountFen" + excluded."amountFen", "entries" = "entries" + 1;
END;
