/**
 * Monitoring: data drift (runs, reports, per-feature distributions), data quality, importance and
 * correlation, model performance over time, A/B, system metrics and alerts. Sections are deep links (path.ts).
 */
import { useEffect } from 'react';
import { followAlerts, openAlerts, useMonitoringStore } from '../../stores/monitoring';
import { AlertsSection } from './AlertsSection';
import { DriftSection } from './DriftSection';
import { FeaturesSection } from './FeaturesSection';
import { AbSection, PerformanceSection } from './PerformanceSection';
import { QualitySection } from './QualitySection';
import { SystemSection } from './SystemSection';
import { monitoringHref, sections, useMonitoringPath, type SectionId } from './path';
import './monitoring.css';

function SectionNav({ active }: { active: SectionId }) {
  const firing = useMonitoringStore((s) => openAlerts(s.alerts.data).length);
  return (
    <nav className="models-nav" aria-label="Monitoring sections" data-testid="monitoring-nav">
      {sections.map((s) => (
        <a key={s.id} href={monitoringHref(s.id)} aria-current={s.id === active ? 'page' : undefined} data-testid={`monitoring-nav-${s.id}`}>
          {s.label}
          {s.id === 'alerts' && firing > 0 ? (
            <span className="mon-count" data-testid="monitoring-firing-count">
              {firing}
            </span>
          ) : null}
        </a>
      ))}
    </nav>
  );
}

export function MonitoringTab() {
  const path = useMonitoringPath();
  useEffect(() => {
    void useMonitoringStore.getState().refreshAlerts();
    return followAlerts();
  }, []);

  let body;
  switch (path.section) {
    case 'quality':
      body = <QualitySection />;
      break;
    case 'features':
      body = <FeaturesSection />;
      break;
    case 'performance':
      body = <PerformanceSection />;
      break;
    case 'ab':
      body = <AbSection />;
      break;
    case 'system':
      body = <SystemSection />;
      break;
    case 'alerts':
      body = <AlertsSection selected={path.object} />;
      break;
    default:
      body = <DriftSection reportId={path.object} column={path.sub} />;
  }
  return (
    <div className="tab-page monitoring" data-testid="monitoring-tab" data-section={path.section}>
      <SectionNav active={path.section} />
      {body}
    </div>
  );
}
