-- DropForeignKey
ALTER TABLE "StageHistory" DROP CONSTRAINT "StageHistory_applicationId_fkey";

-- DropIndex
DROP INDEX "StageHistory_applicationId_seq_key";

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "expertise" JSONB;

-- AlterTable
ALTER TABLE "Programme" ADD COLUMN     "committedFen" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "paidFen" BIGINT NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Application" ADD COLUMN     "awardFen" BIGINT,
ADD COLUMN     "configVersion" INTEGER,
ADD COLUMN     "dueAt" TIMESTAMP(3),
ADD COLUMN     "members" JSONB,
ADD COLUMN     "nextAction" TEXT,
ADD COLUMN     "tier" TEXT,
ADD COLUMN     "unitName" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "waitingOn" TEXT;

-- AlterTable
ALTER TABLE "StageHistory" DROP COLUMN "applicationId",
ADD COLUMN     "caseId" TEXT NOT NULL,
ADD COLUMN     "detail" JSONB;

-- AlterTable
ALTER TABLE "AuditEntry" ADD COLUMN     "hash" TEXT NOT NULL,
ADD COLUMN     "prevHash" TEXT NOT NULL,
ADD COLUMN     "seq" INTEGER NOT NULL;

-- CreateTable
CREATE TABLE "ProgrammeVersion" (
    "programmeId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "config" JSONB NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProgrammeVersion_pkey" PRIMARY KEY ("programmeId","version")
);

-- CreateTable
CREATE TABLE "ReviewAssignment" (
    "id" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,
    "round" INTEGER NOT NULL,
    "reviewerId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,
    "scores" JSONB,
    "total" DOUBLE PRECISION,
    "comment" TEXT,
    "recommendation" TEXT,
    "conflictReason" TEXT,
    "submittedAt" TIMESTAMP(3),
    "rev" INTEGER NOT NULL,

    CONSTRAINT "ReviewAssignment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Objection" (
    "id" TEXT NOT NULL,
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
    "filedAt" TIMESTAMP(3) NOT NULL,
    "resolvedAt" TIMESTAMP(3),
    "rev" INTEGER NOT NULL,

    CONSTRAINT "Objection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Tranche" (
    "id" TEXT NOT NULL,
    "applicationId" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "amountFen" BIGINT NOT NULL,
    "status" TEXT NOT NULL,
    "approvals" JSONB,
    "paidAt" TIMESTAMP(3),
    "rev" INTEGER NOT NULL,

    CONSTRAINT "Tranche_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Milestone" (
    "id" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL,
    "score" DOUBLE PRECISION,
    "reportSummary" TEXT,
    "reportedAt" TIMESTAMP(3),
    "rev" INTEGER NOT NULL,

    CONSTRAINT "Milestone_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LedgerEntry" (
    "id" SERIAL NOT NULL,
    "programmeId" TEXT NOT NULL,
    "caseId" TEXT,
    "kind" TEXT NOT NULL,
    "amountFen" BIGINT NOT NULL,
    "trancheCode" TEXT,
    "idempotencyKey" TEXT NOT NULL,
    "actorId" TEXT,
    "reason" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LedgerEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CreditRecord" (
    "id" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,
    "subjectKind" TEXT NOT NULL,
    "subjectName" TEXT NOT NULL,
    "subjectUserId" TEXT,
    "consequence" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CreditRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Notification" (
    "id" TEXT NOT NULL,
    "userId" TEXT,
    "role" TEXT,
    "caseId" TEXT,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "dueAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "dispatchedAt" TIMESTAMP(3),

    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NotificationPreference" (
    "userId" TEXT NOT NULL,
    "email" BOOLEAN NOT NULL DEFAULT true,
    "webhookUrl" TEXT,
    "webhookSecret" TEXT,

    CONSTRAINT "NotificationPreference_pkey" PRIMARY KEY ("userId")
);

-- CreateTable
CREATE TABLE "Delivery" (
    "id" TEXT NOT NULL,
    "notificationId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "sentAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Delivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditHead" (
    "id" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "AuditHead_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Expert" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "field" TEXT NOT NULL,
    "residentSeats" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Expert_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Station" (
    "id" TEXT NOT NULL,
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
    "termEndsAt" TIMESTAMP(3),
    "establishedAt" TIMESTAMP(3),
    "waitingOn" TEXT,
    "nextAction" TEXT,
    "dueAt" TIMESTAMP(3),
    "workflowId" TEXT,
    "configVersion" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Station_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StationExpert" (
    "stationId" TEXT NOT NULL,
    "expertId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "since" TIMESTAMP(3),
    "until" TIMESTAMP(3),

    CONSTRAINT "StationExpert_pkey" PRIMARY KEY ("stationId","expertId")
);

-- CreateTable
CREATE TABLE "StationQuota" (
    "programmeId" TEXT NOT NULL,
    "stationType" TEXT NOT NULL,
    "used" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "StationQuota_pkey" PRIMARY KEY ("programmeId","stationType")
);

-- CreateTable
CREATE TABLE "IdempotencyRecord" (
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "status" INTEGER,
    "body" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IdempotencyRecord_pkey" PRIMARY KEY ("scope","key")
);

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

-- CreateIndex
CREATE INDEX "Application_waitingOn_dueAt_idx" ON "Application"("waitingOn", "dueAt");

-- CreateIndex
CREATE INDEX "Application_createdAt_id_idx" ON "Application"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Application_requestedFen_id_idx" ON "Application"("requestedFen", "id");

-- CreateIndex
CREATE INDEX "Application_title_id_idx" ON "Application"("title", "id");

-- CreateIndex
CREATE UNIQUE INDEX "StageHistory_caseId_seq_key" ON "StageHistory"("caseId", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "AuditEntry_seq_key" ON "AuditEntry"("seq");

-- AddForeignKey
ALTER TABLE "ProgrammeVersion" ADD CONSTRAINT "ProgrammeVersion_programmeId_fkey" FOREIGN KEY ("programmeId") REFERENCES "Programme"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Tranche" ADD CONSTRAINT "Tranche_applicationId_fkey" FOREIGN KEY ("applicationId") REFERENCES "Application"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LedgerEntry" ADD CONSTRAINT "LedgerEntry_programmeId_fkey" FOREIGN KEY ("programmeId") REFERENCES "Programme"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Station" ADD CONSTRAINT "Station_programmeId_fkey" FOREIGN KEY ("programmeId") REFERENCES "Programme"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StationExpert" ADD CONSTRAINT "StationExpert_stationId_fkey" FOREIGN KEY ("stationId") REFERENCES "Station"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StationExpert" ADD CONSTRAINT "StationExpert_expertId_fkey" FOREIGN KEY ("expertId") REFERENCES "Expert"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

