import type { settingsMethods } from '../methods/settings.js';
import type { HandlersFor } from '../handler-types.js';
import { followWorkspaceLogs, listLogFiles, logFilePath, readTail } from '../../platform/log-files.js';
import { localApiState, setLocalApi } from '../../platform/local-api.js';
import { activateProfile, deleteProfile, listProfiles, saveProfile, testProfile } from '../../platform/profiles.js';

export const settingsHandlers: HandlersFor<keyof typeof settingsMethods> = {
  'settings.profiles': (_i, s) => listProfiles(s),
  'settings.profile.save': (i, s) => saveProfile(s, i),
  'settings.profile.delete': (i, s) => deleteProfile(s, i.name),
  'settings.profile.test': (i, s) => testProfile(s, i),
  'settings.profile.activate': (i, s) => activateProfile(s, i.name),
  'settings.local_api': async (i, s) => {
    const state = Object.keys(i).length === 0 ? localApiState(s) : await setLocalApi(s, i);
    if (Object.keys(i).length > 0) {
      s.events.publish('settings.changed', { reason: 'local_api', active_profile: s.workspace.profile.name, kind: s.workspace.profile.kind, profile: null });
    }
    return state;
  },
  'logs.files': (_i, s) => ({ dir: s.workspace.paths.logsDir, files: listLogFiles(s.workspace.paths.logsDir) }),
  'logs.tail': async (i, s) => {
    const dir = s.workspace.paths.logsDir;
    const file = logFilePath(dir, i.file);
    const tail = readTail(file, i.file, i.limit, { level: i.level, text: i.text });
    if (i.follow) await followWorkspaceLogs(s);
    return { file: i.file, ...tail, following: i.follow };
  },
};
