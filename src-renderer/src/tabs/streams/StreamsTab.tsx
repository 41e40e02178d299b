import { Placeholder } from '../../components/Placeholder';

export function StreamsTab() {
  return (
    <Placeholder
      tab="streams"
      title="Streams"
      summary="Topics of the embedded log or the Kafka cluster, and the processor that turns raw trips into predictions."
      planned={[
        { name: 'Topics', what: 'taxi-raw-data, taxi-features, taxi-predictions, taxi-model-metrics, taxi-alerts; create and delete.' },
        { name: 'Browse and tail', what: 'Messages by offset or time, and a live tail.' },
        { name: 'Produce', what: 'Publish trip messages validated against the trip message format.' },
        { name: 'Consumer groups', what: 'Lag per partition and offset reset.' },
        { name: 'Processor and replayer', what: 'Pipeline status, dead-letter messages with reasons, replays at a chosen rate.' },
      ]}
    />
  );
}
