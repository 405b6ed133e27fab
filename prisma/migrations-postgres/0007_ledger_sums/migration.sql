-- CreateTable
CREATE TABLE "LedgerSum" (
    "programmeId" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "amountFen" BIGINT NOT NULL,
    "entries" INTEGER NOT NULL,

    CONSTRAINT "LedgerSum_pkey" PRIMARY KEY ("programmeId","caseId","kind","year")
);

-- CreateIndex
CREATE INDEX "LedgerEntry_programmeId_id_idx" ON "LedgerEntry"("programmeId", "id");

-- CreateIndex
CREATE INDEX "Application_programmeId_updatedAt_idx" ON "Application"("programmeId", "updatedAt");

-- CreateIndex
CREATE INDEX "Station_programmeId_updatedAt_idx" ON "Station"("programmeId", "updatedAt");

-- The sums of the entries already written, then a trigger that keeps them: each entry moves its sum
-- in its own transaction, whoever writes it. The year is the movement's in Asia/Shanghai (UTC+8,
-- no daylight saving; "at" holds UTC), as the report counts it.
INSERT INTO "LedgerSum" ("programmeId", "caseId", "kind", "year", "amountFen", "entries")
SELECT "programmeId", COALESCE("caseId", ''), "kind", EXTRACT(YEAR FROM "at" + INTERVAL '8 hours')::integer, SUM("amountFen"), COUNT(*)
FROM "LedgerEntry" GROUP BY 1, 2, 3, 4;

CREATE FUNCTION "ledger_sum_keep"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE "LedgerSum" SET "amountFen" = "amountFen" - OLD."amountFen", "entries" = "entries" - 1
    WHERE "programmeId" = OLD."programmeId" AND "caseId" = COALESCE(OLD."caseId", '') AND "kind" = OLD."kind"
      AND "year" = EXTRACT(YEAR FROM OLD."at" + INTERVAL '8 hours')::integer;
    DELETE FROM "LedgerSum" WHERE "programmeId" = OLD."programmeId" AND "entries" = 0;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO "LedgerSum" ("programmeId", "caseId", "kind", "year", "amountFen", "entries")
    VALUES (NEW."programmeId", COALESCE(NEW."caseId", ''), NEW."kind", EXTRACT(YEAR FROM NEW."at" + INTERVAL '8 hours')::integer, NEW."amountFen", 1)
    ON CONFLICT ("programmeId", "caseId", "kind", "year")
    DO UPDATE SET "amountFen" = "LedgerSum"."amountFen" + EXCLUDED."amountFen", "entries" = "LedgerSum"."entries" + 1;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "LedgerEntry_sums" AFTER INSERT OR UPDATE OR DELETE ON "LedgerEntry"
FOR EACH ROW EXECUTE FUNCTION "ledger_sum_keep"();
