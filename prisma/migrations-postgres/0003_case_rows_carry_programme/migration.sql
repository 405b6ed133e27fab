-- Review assignments, objections and milestones carry their case's programme, so registers filter
-- by it (an IN list of case ids broke past 999 cases on SQLite). caseId is an application's or a
-- station's id: existing rows take the programme of whichever it is. A row whose case is in
-- neither table fails the NOT NULL and stops the migration, rather than being dropped.
-- And LedgerEntry(programmeId, at) for the programme report's sums per year.

-- AlterTable, filled from the case (an application or a station), then required
ALTER TABLE "ReviewAssignment" ADD COLUMN "programmeId" TEXT;
UPDATE "ReviewAssignment" SET "programmeId" = COALESCE(
    (SELECT "programmeId" FROM "Application" WHERE "Application"."id" = "ReviewAssignment"."caseId"),
    (SELECT "programmeId" FROM "Station" WHERE "Station"."id" = "ReviewAssignment"."caseId")
);
ALTER TABLE "ReviewAssignment" ALTER COLUMN "programmeId" SET NOT NULL;

-- AlterTable, filled from the case (an application or a station), then required
ALTER TABLE "Objection" ADD COLUMN "programmeId" TEXT;
UPDATE "Objection" SET "programmeId" = COALESCE(
    (SELECT "programmeId" FROM "Application" WHERE "Application"."id" = "Objection"."caseId"),
    (SELECT "programmeId" FROM "Station" WHERE "Station"."id" = "Objection"."caseId")
);
ALTER TABLE "Objection" ALTER COLUMN "programmeId" SET NOT NULL;

-- AlterTable, filled from the case (an application or a station), then required
ALTER TABLE "Milestone" ADD COLUMN "programmeId" TEXT;
UPDATE "Milestone" SET "programmeId" = COALESCE(
    (SELECT "programmeId" FROM "Application" WHERE "Application"."id" = "Milestone"."caseId"),
    (SELECT "programmeId" FROM "Station" WHERE "Station"."id" = "Milestone"."caseId")
);
ALTER TABLE "Milestone" ALTER COLUMN "programmeId" SET NOT NULL;
-- CreateIndex
CREATE INDEX "ReviewAssignment_programmeId_id_idx" ON "ReviewAssignment"("programmeId", "id");

-- CreateIndex
CREATE INDEX "ReviewAssignment_programmeId_status_id_idx" ON "ReviewAssignment"("programmeId", "status", "id");

-- CreateIndex
CREATE INDEX "Objection_programmeId_id_idx" ON "Objection"("programmeId", "id");

-- CreateIndex
CREATE INDEX "Milestone_programmeId_id_idx" ON "Milestone"("programmeId", "id");

-- CreateIndex
CREATE INDEX "Milestone_programmeId_status_id_idx" ON "Milestone"("programmeId", "status", "id");

-- CreateIndex
CREATE INDEX "LedgerEntry_programmeId_at_idx" ON "LedgerEntry"("programmeId", "at");
