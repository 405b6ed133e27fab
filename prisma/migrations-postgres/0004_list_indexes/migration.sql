-- DropIndex
DROP INDEX "Application_programmeId_stage_idx";

-- CreateIndex
CREATE INDEX "Application_programmeId_stage_createdAt_id_idx" ON "Application"("programmeId", "stage", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Application_programmeId_stage_requestedFen_id_idx" ON "Application"("programmeId", "stage", "requestedFen", "id");

-- CreateIndex
CREATE INDEX "Application_programmeId_createdAt_id_idx" ON "Application"("programmeId", "createdAt", "id");
