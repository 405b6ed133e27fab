-- DropIndex
DROP INDEX "Application_waitingOn_dueAt_idx";

-- DropIndex
DROP INDEX "Objection_status_idx";

-- DropIndex
DROP INDEX "Tranche_status_idx";

-- DropIndex
DROP INDEX "Milestone_status_dueAt_idx";

-- CreateIndex
CREATE INDEX "Application_waitingOn_dueAt_id_idx" ON "Application"("waitingOn", "dueAt", "id");

-- CreateIndex
CREATE INDEX "Objection_status_filedAt_id_idx" ON "Objection"("status", "filedAt", "id");

-- CreateIndex
CREATE INDEX "Tranche_status_id_idx" ON "Tranche"("status", "id");

-- CreateIndex
CREATE INDEX "Milestone_status_dueAt_id_idx" ON "Milestone"("status", "dueAt", "id");

-- CreateIndex
CREATE INDEX "Station_waitingOn_dueAt_id_idx" ON "Station"("waitingOn", "dueAt", "id");
