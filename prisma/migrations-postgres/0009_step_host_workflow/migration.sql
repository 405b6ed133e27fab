-- A case may run its public notices and milestone checks in itself: each row names the workflow
-- that takes its actions. Every row before this one ran in a child workflow of its own.
ALTER TABLE "Objection" ADD COLUMN "workflowId" TEXT;
UPDATE "Objection" SET "workflowId" = "noticeId";

ALTER TABLE "Milestone" ADD COLUMN "workflowId" TEXT;
UPDATE "Milestone" SET "workflowId" = "id";
