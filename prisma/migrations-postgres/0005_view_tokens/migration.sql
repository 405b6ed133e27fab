-- AlterTable
ALTER TABLE "Application" ADD COLUMN     "viewToken" TEXT;

-- AlterTable
ALTER TABLE "Station" ADD COLUMN     "viewToken" TEXT;
