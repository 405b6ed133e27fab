-- CreateIndex
CREATE INDEX "Application_programmeId_stage_tier_idx" ON "Application"("programmeId", "stage", "tier");
