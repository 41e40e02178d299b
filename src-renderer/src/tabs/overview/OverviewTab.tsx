import { useEffect } from 'react';
import { useSystemStore } from '../../stores/system';
import { DataCard } from './DataCard';
import { GenerateForm } from './GenerateForm';
import { HealthCard } from './HealthCard';
import { ImportForm } from './ImportForm';
import { InfoCard } from './InfoCard';
import { RecentJobs } from './RecentJobs';
import { StatusCards } from './StatusCards';
import './overview.css';

export function OverviewTab() {
  const refreshSummary = useSystemStore((s) => s.refreshSummary);
  useEffect(() => {
    void refreshSummary();
  }, [refreshSummary]);

  return (
    <div className="tab-page overview" data-testid="overview">
      <StatusCards />
      <div className="grid grid-main">
        <HealthCard />
        <InfoCard />
      </div>
      <div className="grid grid-main">
        <DataCard />
        <div className="ov-stack">
          <GenerateForm />
          <ImportForm />
        </div>
      </div>
      <RecentJobs />
    </div>
  );
}
