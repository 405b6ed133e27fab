-- Review assignments, objections and milestones carry their case's programme, so registers filter
-- by it (an IN list of case ids broke past 999 cases on SQLite). caseId is an application's or a
-- station's id: existing rows take the programme of whichever it is. A row whose case is in
-- neither table fails the NOT NULL and stops the migration, rather than being dropped.
-- And LedgerEntry(programmeId, at) for the programme report's sums per year.

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ReviewAssignment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "caseId" TEXT NOT NULL,
    "programmeId" TEXT NOT NULL,
    "round" INTEGER NOT NULL,
    "reviewerId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "dueAt" DATETIME NOT NULL,
    "scores" JSONB,
    "total" REAL,
    "comment" TEXT,
    "recommendation" TEXT,
    "conflictReason" TEXT,
    "submittedAt" DATETIME,
    "rev" INTEGER NOT NULL
);
INSERT INTO "new_ReviewAssignment" ("caseId", "comment", "conflictReason", "dueAt", "id", "recommendation", "rev", "reviewerId", "round", "scores", "status", "submittedAt", "total", "programmeId") SELECT "caseId", "comment", "conflictReason", "dueAt", "id", "recommendation", "rev", "reviewerId", "round", "scores", "status", "submittedAt", "total", COALESCE(
    (SELECT "programmeId" FROM "Application" WHERE "Application"."id" = "ReviewAssignment"."caseId"),
    (SELECT "programmeId" FROM "Station" WHERE "Station"."id" = "ReviewAssignment"."caseId")
) FROM "ReviewAssignment";
DROP TABLE "ReviewAssignment";
ALTER TABLE "new_ReviewAssignment" RENAME TO "ReviewAssignment";
CREATE INDEX "ReviewAssignment_reviewerId_status_idx" ON "ReviewAssignment"("reviewerId", "status");
CREATE INDEX "ReviewAssignment_caseId_round_idx" ON "ReviewAssignment"("caseId", "round");
CREATE INDEX "ReviewAssignment_programmeId_id_idx" ON "ReviewAssignment"("programmeId", "id");
CREATE INDEX "ReviewAssignment_programmeId_status_id_idx" ON "ReviewAssignment"("programmeId", "status", "id");
CREATE TABLE "new_Objection" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "caseId" TEXT NOT NULL,
    "programmeId" TEXT NOT NULL,
    "noticeId" TEXT NOT NULL,
    "filerName" TEXT NOT NULL,
    "filerIdMasked" TEXT NOT NULL,
    "filerIdHash" TEXT NOT NULL,
    "contact" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "resolution" TEXT,
    "resolvedById" TEXT,
    "filedAt" DATETIME NOT NULL,
    "resolvedAt" DATETIME,
    "rev" INTEGER NOT NULL
);
INSERT INTO "new_Objection" ("caseId", "contact", "filedAt", "filerIdHash", "filerIdMasked", "filerName", "id", "noticeId", "resolution", "resolvedAt", "resolvedById", "rev", "status", "text", "programmeId") SELECT "caseId", "contact", "filedAt", "filerIdHash", "filerIdMasked", "filerName", "id", "noticeId", "resolution", "resolvedAt", "resolvedById", "rev", "status", "text", COALESCE(
    (SELECT "programmeId" FROM "Application" WHERE "Application"."id" = "Objection"."caseId"),
    (SELECT "programmeId" FROM "Station" WHERE "Station"."id" = "Objection"."caseId")
) FROM "Objection";
DROP TABLE "Objection";
ALTER TABLE "new_Objection" RENAME TO "Objection";
CREATE INDEX "Objection_caseId_idx" ON "Objection"("caseId");
CREATE INDEX "Objection_status_idx" ON "Objection"("status");
CREATE INDEX "Objection_programmeId_id_idx" ON "Objection"("programmeId", "id");
CREATE TABLE "new_Milestone" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "caseId" TEXT NOT NULL,
    "programmeId" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "dueAt" DATETIME NOT NULL,
    "status" TEXT NOT NULL,
    "score" REAL,
    "reportSummary" TEXT,
    "reportedAt" DATETIME,
    "rev" INTEGER NOT NULL
);
INSERT INTO "new_Milestone" ("attempt", "caseId", "code", "dueAt", "id", "reportSummary", "reportedAt", "rev", "score", "status", "programmeId") SELECT "attempt", "caseId", "code", "dueAt", "id", "reportSummary", "reportedAt", "rev", "score", "status", COALESCE(
    (SELECT "programmeId" FROM "Application" WHERE "Application"."id" = "Milestone"."caseId"),
    (SELECT "programmeId" FROM "Station" WHERE "Station"."id" = "Milestone"."caseId")
) FROM "Milestone";
DROP TABLE "Milestone";
ALTER TABLE "new_Milestone" RENAME TO "Milestone";
CREATE INDEX "Milestone_caseId_idx" ON "Milestone"("caseId");
CREATE INDEX "Milestone_status_dueAt_idx" ON "Milestone"("status", "dueAt");
CREATE INDEX "Milestone_programmeId_id_idx" ON "Milestone"("programmeId", "id");
CREATE INDEX "Milestone_programmeId_status_id_idx" ON "Milestone"("programmeId", "status", "id");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "LedgerEntry_programmeId_at_idx" ON "LedgerEntry"("programmeId", "at");
