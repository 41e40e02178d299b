import { Placeholder } from '../../components/Placeholder';

export function LogsTab() {
  return (
    <Placeholder
      tab="logs"
      title="Logs"
      summary="The structured application log kept under the workspace’s logs/ folder."
      planned={[
        { name: 'Live view', what: 'New entries as they are written, with level and component filters.' },
        { name: 'Search', what: 'Full-text search over message and context fields.' },
        { name: 'Job logs', what: 'The log lines of one job, linked from the Jobs tab.' },
      ]}
    />
  );
}
