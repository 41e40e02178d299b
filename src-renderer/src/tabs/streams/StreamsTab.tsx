/**
 * Streams: topics with partitions and offsets → a topic's detail, produce with schema feedback, live tail
 * and the message browser; consumer groups with lag and offset reset; the stream processor's throughput.
 * Deep link: #/streams/<topic>[?group=<group>].
 */
import { useEffect } from 'react';
import { ApiError } from '../../api/client';
import { ErrorNotice } from '../../components/ErrorNotice';
import { LoadingRow } from '../../components/Spinner';
import { useStreamsStore } from '../../stores/streams';
import { BrowserCard } from './BrowserCard';
import { GroupsCard } from './GroupsCard';
import { ProcessorCard } from './ProcessorCard';
import { ProduceCard } from './ProduceCard';
import { TailCard } from './TailCard';
import { TopicDetail } from './TopicDetail';
import { TopicsCard } from './TopicsCard';
import { useStreamsPath } from './path';
import './streams.css';

/** Offsets and lag move all the time; a slow refresh keeps them honest without flooding the bus. */
const REFRESH_MS = 10_000;

export function StreamsTab() {
  const topics = useStreamsStore((s) => s.topics);
  const topic = useStreamsStore((s) => s.topic);
  const refreshTopics = useStreamsStore((s) => s.refreshTopics);
  const refreshGroups = useStreamsStore((s) => s.refreshGroups);
  const loadTopic = useStreamsStore((s) => s.loadTopic);
  const lastProduced = useStreamsStore((s) => s.produce.last);
  const path = useStreamsPath();

  useEffect(() => {
    void refreshTopics();
    void refreshGroups();
    const t = setInterval(() => {
      void refreshTopics();
      void refreshGroups();
    }, REFRESH_MS);
    return () => clearInterval(t);
  }, [refreshTopics, refreshGroups]);

  const list = topics.data ?? [];
  // No topic in the link: the raw topic first, where trips come in.
  const selected = path.topic ?? list.find((t) => t.name === 'taxi-raw-data')?.name ?? list[0]?.name ?? null;
  const known = selected !== null && list.some((t) => t.name === selected);

  useEffect(() => {
    if (selected && known) void loadTopic(selected);
  }, [selected, known, loadTopic, lastProduced]);

  useEffect(() => {
    if (lastProduced) void refreshTopics();
  }, [lastProduced, refreshTopics]);

  const unknownTopic =
    topics.data && path.topic && !known
      ? new ApiError('NOT_FOUND', `no topic named "${path.topic}" on this bus (have: ${list.map((t) => t.name).join(', ') || 'none'})`, { topic: path.topic })
      : null;
  const desc = topic.data && topic.data.name === selected ? topic.data : null;

  return (
    <div className="tab-page streams" data-testid="streams-tab" data-topic={selected ?? ''}>
      <div className="grid grid-main">
        <TopicsCard selected={known ? selected : null} />
        <ProcessorCard />
      </div>
      {unknownTopic ? <ErrorNotice error={unknownTopic} testId="unknown-topic" /> : null}
      {selected && known ? (
        <>
          <TopicDetail name={selected} />
          {desc ? (
            <>
              <div className="grid streams-live">
                <ProduceCard topic={desc} />
                <TailCard topic={selected} />
              </div>
              <BrowserCard topic={selected} partitions={desc.partitions} />
            </>
          ) : null}
        </>
      ) : topics.loading && !topics.data ? (
        <LoadingRow label="Loading topics" />
      ) : null}
      <GroupsCard selected={path.group} topic={known ? selected : null} />
    </div>
  );
}
