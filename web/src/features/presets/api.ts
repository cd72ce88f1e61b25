// The catalogue a chat starts from: the models the organisation offers and the presets
// (personal, organisation and plugin ones); personal presets are edited here.
import { useQueryClient } from '@tanstack/react-query';
import { $api } from '../../api/query';

/** They change when an administrator changes them: five minutes old is fresh enough. */
const CATALOGUE = { staleTime: 5 * 60_000, meta: { toastErrors: true } };

export const useModels = () => $api.useQuery('get', '/v1/models', undefined, CATALOGUE);
export const usePresets = () => $api.useQuery('get', '/v1/presets', undefined, CATALOGUE);

/** A preset's versions, newest first; nothing is asked while `id` is null. */
export const usePresetVersions = (id: string | null) =>
  $api.useQuery('get', '/v1/presets/{id}/versions', { params: { path: { id: id ?? '' } } }, { enabled: id !== null, meta: { toastErrors: true } });

/** Creating and editing a personal preset (an edit is a new version); the lists reload after either. */
export function useSavePreset() {
  const client = useQueryClient();
  const saved = {
    onSuccess: () =>
      void Promise.all([
        client.invalidateQueries({ queryKey: ['get', '/v1/presets'] }),
        client.invalidateQueries({ queryKey: ['get', '/v1/presets/{id}/versions'] }),
      ]),
    meta: { toastErrors: true },
  };
  return { create: $api.useMutation('post', '/v1/presets', saved), edit: $api.useMutation('put', '/v1/presets/{id}', saved) };
}
