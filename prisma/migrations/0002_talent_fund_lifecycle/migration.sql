-- AlterTable
ALTER TABLE "User" ADD COLUMN "expertise" JSONB;

-- AlterTable
ALTER TABLE "StageHistory" ADD COLUMN "detail" JSONB;

-- CreateTable
CREATE TABLE "ProgrammeVersion" (
    "programmeId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "config" JSONB NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("programmeId", "version"),
    CONSTRAINT "ProgrammeVersion_programmeId_fkey" FOREIGN KEY ("programmeId") REFERENCES "Programme" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ReviewAssignment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "applicationId" TEXT NOT NULL,
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
    "rev" INTEGER NOT NULL,
    CONSTRAINT "ReviewAssignment_applicationId_fkey" FOREIGN KEY ("applicationId") REFERENCES "Application" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Objection" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "applicationId" TEXT NOT NULL,
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
    "rev" INTEGER NOT NULL,
    CONSTRAINT "Objection_applicationId_fkey" FOREIGN KEY ("applicationId") REFERENCES "Application" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Tranche" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "applicationId" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "amountFen" BIGINT NOT NULL,
    "status" TEXT NOT NULL,
    "approvals" JSONB,
    "paidAt" DATETIME,
    "rev" INTEGER NOT NULL,
    CONSTRAINT "Tranche_applicationId_fkey" FOREIGN KEY ("applicationId") REFERENCES "Application" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Milestone" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "applicationId" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "dueAt" DATETIME NOT NULL,
    "status" TEXT NOT NULL,
    "score" REAL,
    "reportSummary" TEXT,
    "reportedAt" DATETIME,
    "rev" INTEGER NOT NULL,
    CONSTRAINT "Milestone_applicationId_fkey" FOREIGN KEY ("applicationId") REFERENCES "Application" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "LedgerEntry" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "programmeId" TEXT NOT NULL,
    "applicationId" TEXT,
    "kind" TEXT NOT NULL,
    "amountFen" BIGINT NOT NULL,
    "trancheCode" TEXT,
    "idempotencyKey" TEXT NOT NULL,
    "actorId" TEXT,
    "reason" TEXT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "LedgerEntry_programmeId_fkey" FOREIGN KEY ("programmeId") REFERENCES "Programme" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "CreditRecord" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "applicationId" TEXT NOT NULL,
    "subjectKind" TEXT NOT NULL,
    "subjectName" TEXT NOT NULL,
    "subjectUserId" TEXT,
    "consequence" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Notification" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT,
    "role" TEXT,
    "applicationId" TEXT,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "dueAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" DATETIME
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Programme" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "code" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "budgetFen" BIGINT NOT NULL,
    "committedFen" BIGINT NOT NULL DEFAULT 0,
    "paidFen" BIGINT NOT NULL DEFAULT 0,
    "opensAt" DATETIME NOT NULL,
    "closesAt" DATETIME NOT NULL,
    "configVersion" INTEGER NOT NULL DEFAULT 1,
    "config" JSONB NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_Programme" ("budgetFen", "closesAt", "code", "config", "configVersion", "createdAt", "createdById", "id", "kind", "opensAt", "title") SELECT "budgetFen", "closesAt", "code", "config", "configVersion", "createdAt", "createdById", "id", "kind", "opensAt", "title" FROM "Programme";
DROP TABLE "Programme";
ALTER TABLE "new_Programme" RENAME TO "Programme";
CREATE UNIQUE INDEX "Programme_code_key" ON "Programme"("code");
CREATE TABLE "new_Application" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "programmeId" TEXT NOT NULL,
    "applicantId" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "field" TEXT NOT NULL,
    "requestedFen" BIGINT NOT NULL,
    "unitName" TEXT NOT NULL DEFAULT '',
    "members" JSONB,
    "stage" TEXT NOT NULL DEFAULT 'draft',
    "configVersion" INTEGER,
    "tier" TEXT,
    "awardFen" BIGINT,
    "waitingOn" TEXT,
    "nextAction" TEXT,
    "dueAt" DATETIME,
    "stageSeq" INTEGER NOT NULL DEFAULT 0,
    "workflowId" TEXT,
    "submittedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Application_programmeId_fkey" FOREIGN KEY ("programmeId") REFERENCES "Programme" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Application_applicantId_fkey" FOREIGN KEY ("applicantId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Application" ("applicantId", "createdAt", "field", "id", "programmeId", "requestedFen", "stage", "stageSeq", "submittedAt", "summary", "title", "updatedAt", "workflowId") SELECT "applicantId", "createdAt", "field", "id", "programmeId", "requestedFen", "stage", "stageSeq", "submittedAt", "summary", "title", "updatedAt", "workflowId" FROM "Application";
DROP TABLE "Application";
ALTER TABLE "new_Application" RENAME TO "Application";
CREATE UNIQUE INDEX "Application_workflowId_key" ON "Application"("workflowId");
CREATE INDEX "Application_programmeId_stage_idx" ON "Application"("programmeId", "stage");
CREATE INDEX "Application_applicantId_idx" ON "Application"("applicantId");
CREATE INDEX "Application_waitingOn_dueAt_idx" ON "Application"("waitingOn", "dueAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "ReviewAssignment_reviewerId_status_idx" ON "ReviewAssignment"("reviewerId", "status");

-- CreateIndex
CREATE INDEX "ReviewAssignment_applicationId_round_idx" ON "ReviewAssignment"("applicationId", "round");

-- CreateIndex
CREATE INDEX "Objection_applicationId_idx" ON "Objection"("applicationId");

-- CreateIndex
CREATE INDEX "Objection_status_idx" ON "Objection"("status");

-- CreateIndex
CREATE INDEX "Tranche_applicationId_idx" ON "Tranche"("applicationId");

-- CreateIndex
CREATE INDEX "Tranche_status_idx" ON "Tranche"("status");

-- CreateIndex
CREATE INDEX "Milestone_applicationId_idx" ON "Milestone"("applicationId");

-- CreateIndex
CREATE INDEX "Milestone_status_dueAt_idx" ON "Milestone"("status", "dueAt");

-- CreateIndex
CREATE UNIQUE INDEX "LedgerEntry_idempotencyKey_key" ON "LedgerEntry"("idempotencyKey");

-- CreateIndex
CREATE INDEX "LedgerEntry_programmeId_kind_idx" ON "LedgerEntry"("programmeId", "kind");

-- CreateIndex
CREATE INDEX "LedgerEntry_applicationId_idx" ON "LedgerEntry"("applicationId");

-- CreateIndex
CREATE INDEX "CreditRecord_subjectName_idx" ON "CreditRecord"("subjectName");

-- CreateIndex
CREATE INDEX "CreditRecord_subjectUserId_idx" ON "CreditRecord"("subjectUserId");

-- CreateIndex
CREATE INDEX "Notification_userId_createdAt_idx" ON "Notification"("userId", "createdAt");

-- CreateIndex
CREATE INDEX "Notification_role_createdAt_idx" ON "Notification"("role", "createdAt");
