-- AlterTable
ALTER TABLE "User" ADD COLUMN "expertise" JSONB;

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
    "caseId" TEXT NOT NULL,
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

-- CreateTable
CREATE TABLE "Objection" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "caseId" TEXT NOT NULL,
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
    "caseId" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "dueAt" DATETIME NOT NULL,
    "status" TEXT NOT NULL,
    "score" REAL,
    "reportSummary" TEXT,
    "reportedAt" DATETIME,
    "rev" INTEGER NOT NULL
);

-- CreateTable
CREATE TABLE "LedgerEntry" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "programmeId" TEXT NOT NULL,
    "caseId" TEXT,
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
    "caseId" TEXT NOT NULL,
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
    "caseId" TEXT,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "dueAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "dispatchedAt" DATETIME
);

-- CreateTable
CREATE TABLE "NotificationPreference" (
    "userId" TEXT NOT NULL PRIMARY KEY,
    "email" BOOLEAN NOT NULL DEFAULT true,
    "webhookUrl" TEXT,
    "webhookSecret" TEXT
);

-- CreateTable
CREATE TABLE "Delivery" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "notificationId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "sentAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "AuditHead" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "seq" INTEGER NOT NULL,
    "hash" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Expert" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "field" TEXT NOT NULL,
    "residentSeats" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Station" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "programmeId" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,
    "hostName" TEXT NOT NULL,
    "hostKind" TEXT NOT NULL DEFAULT 'enterprise',
    "type" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "field" TEXT NOT NULL,
    "stage" TEXT NOT NULL DEFAULT 'draft',
    "stageSeq" INTEGER NOT NULL DEFAULT 0,
    "term" INTEGER NOT NULL DEFAULT 0,
    "termEndsAt" DATETIME,
    "establishedAt" DATETIME,
    "waitingOn" TEXT,
    "nextAction" TEXT,
    "dueAt" DATETIME,
    "workflowId" TEXT,
    "configVersion" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Station_programmeId_fkey" FOREIGN KEY ("programmeId") REFERENCES "Programme" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "StationExpert" (
    "stationId" TEXT NOT NULL,
    "expertId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "since" DATETIME,
    "until" DATETIME,

    PRIMARY KEY ("stationId", "expertId"),
    CONSTRAINT "StationExpert_stationId_fkey" FOREIGN KEY ("stationId") REFERENCES "Station" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "StationExpert_expertId_fkey" FOREIGN KEY ("expertId") REFERENCES "Expert" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "StationQuota" (
    "programmeId" TEXT NOT NULL,
    "stationType" TEXT NOT NULL,
    "used" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("programmeId", "stationType")
);

-- CreateTable
CREATE TABLE "IdempotencyRecord" (
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "status" INTEGER,
    "body" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("scope", "key")
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
CREATE INDEX "Application_createdAt_id_idx" ON "Application"("createdAt", "id");
CREATE INDEX "Application_requestedFen_id_idx" ON "Application"("requestedFen", "id");
CREATE INDEX "Application_title_id_idx" ON "Application"("title", "id");
CREATE TABLE "new_StageHistory" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "caseId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "stage" TEXT NOT NULL,
    "enteredAt" DATETIME NOT NULL,
    "actorId" TEXT,
    "reason" TEXT,
    "detail" JSONB
);
INSERT INTO "new_StageHistory" ("actorId", "enteredAt", "id", "reason", "seq", "stage") SELECT "actorId", "enteredAt", "id", "reason", "seq", "stage" FROM "StageHistory";
DROP TABLE "StageHistory";
ALTER TABLE "new_StageHistory" RENAME TO "StageHistory";
CREATE UNIQUE INDEX "StageHistory_caseId_seq_key" ON "StageHistory"("caseId", "seq");
CREATE TABLE "new_AuditEntry" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "seq" INTEGER NOT NULL,
    "prevHash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorId" TEXT,
    "actorRole" TEXT,
    "action" TEXT NOT NULL,
    "targetType" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "reason" TEXT,
    "requestId" TEXT,
    "idempotencyKey" TEXT
);
INSERT INTO "new_AuditEntry" ("action", "actorId", "actorRole", "after", "at", "before", "id", "idempotencyKey", "reason", "requestId", "targetId", "targetType") SELECT "action", "actorId", "actorRole", "after", "at", "before", "id", "idempotencyKey", "reason", "requestId", "targetId", "targetType" FROM "AuditEntry";
DROP TABLE "AuditEntry";
ALTER TABLE "new_AuditEntry" RENAME TO "AuditEntry";
CREATE UNIQUE INDEX "AuditEntry_seq_key" ON "AuditEntry"("seq");
CREATE UNIQUE INDEX "AuditEntry_idempotencyKey_key" ON "AuditEntry"("idempotencyKey");
CREATE INDEX "AuditEntry_targetType_targetId_idx" ON "AuditEntry"("targetType", "targetId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "ReviewAssignment_reviewerId_status_idx" ON "ReviewAssignment"("reviewerId", "status");

-- CreateIndex
CREATE INDEX "ReviewAssignment_caseId_round_idx" ON "ReviewAssignment"("caseId", "round");

-- CreateIndex
CREATE INDEX "Objection_caseId_idx" ON "Objection"("caseId");

-- CreateIndex
CREATE INDEX "Objection_status_idx" ON "Objection"("status");

-- CreateIndex
CREATE INDEX "Tranche_applicationId_idx" ON "Tranche"("applicationId");

-- CreateIndex
CREATE INDEX "Tranche_status_idx" ON "Tranche"("status");

-- CreateIndex
CREATE INDEX "Milestone_caseId_idx" ON "Milestone"("caseId");

-- CreateIndex
CREATE INDEX "Milestone_status_dueAt_idx" ON "Milestone"("status", "dueAt");

-- CreateIndex
CREATE UNIQUE INDEX "LedgerEntry_idempotencyKey_key" ON "LedgerEntry"("idempotencyKey");

-- CreateIndex
CREATE INDEX "LedgerEntry_programmeId_kind_idx" ON "LedgerEntry"("programmeId", "kind");

-- CreateIndex
CREATE INDEX "LedgerEntry_caseId_idx" ON "LedgerEntry"("caseId");

-- CreateIndex
CREATE INDEX "CreditRecord_subjectName_idx" ON "CreditRecord"("subjectName");

-- CreateIndex
CREATE INDEX "CreditRecord_subjectUserId_idx" ON "CreditRecord"("subjectUserId");

-- CreateIndex
CREATE INDEX "Notification_userId_createdAt_idx" ON "Notification"("userId", "createdAt");

-- CreateIndex
CREATE INDEX "Notification_role_createdAt_idx" ON "Notification"("role", "createdAt");

-- CreateIndex
CREATE INDEX "Notification_dispatchedAt_idx" ON "Notification"("dispatchedAt");

-- CreateIndex
CREATE INDEX "Delivery_status_createdAt_idx" ON "Delivery"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Expert_title_idx" ON "Expert"("title");

-- CreateIndex
CREATE UNIQUE INDEX "Station_workflowId_key" ON "Station"("workflowId");

-- CreateIndex
CREATE INDEX "Station_type_stage_idx" ON "Station"("type", "stage");

-- CreateIndex
CREATE INDEX "Station_hostId_idx" ON "Station"("hostId");

-- CreateIndex
CREATE INDEX "Station_dueAt_idx" ON "Station"("dueAt");

-- CreateIndex
CREATE INDEX "StationExpert_expertId_status_idx" ON "StationExpert"("expertId", "status");
