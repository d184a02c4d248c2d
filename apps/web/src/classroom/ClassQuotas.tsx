// A class's student quotas on its page: the class's values beside the server's, set by the
// instructor (only tighter: at most the server's) or an admin (any, above the server's too). The
// server judges every value; its refusal is shown under the field it names.
import { useEffect, useState } from 'react';
import type { Account, ClassQuotasAnswer } from './classroom-api.ts';
import { classroomApi } from './classroom-api.ts';
import { QUOTA_KEYS, QUOTA_LABELS, quotaChanges, quotaInputs, type QuotaInputs, type QuotaKey } from './class-quotas.ts';
import { Field, FormMessage } from './Field.tsx';
import { formError } from './form-error.ts';
import { useForm } from './useForm.ts';

export function ClassQuotas({ classId, user }: { classId: string; user: Account }) {
  const [answer, setAnswer] = useState<ClassQuotasAnswer | null>(null);
  const [inputs, setInputs] = useState<QuotaInputs | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [local, setLocal] = useState<{ field: QuotaKey; problem: string } | null>(null);
  const [saved, setSaved] = useState(false);
  const form = useForm(QUOTA_KEYS);
  useEffect(() => {
    let live = true;
    classroomApi.classQuotas(classId).then(
      (a) => live && (setAnswer(a), setInputs(quotaInputs(a.class))),
      (e) => live && setLoadError(formError(e, []).message),
    );
    return () => {
      live = false;
    };
  }, [classId]);
  const admin = user.role === 'admin';
  return (
    <section aria-labelledby="quotas-title" className="card cr-section cr-quotas">
      <h2 id="quotas-title">Student quotas</h2>
      <p className="muted">
        What each student of this class may have at once, on top of every lab's own sandbox limits. Empty: the server's value. A student in several classes gets the largest of them.{' '}
        {admin ? <>As an admin you may also go above the server's values.</> : <strong>Instructors can only tighten: at most the server's value; only an admin gives a class more.</strong>}
      </p>
      <FormMessage message={loadError} />
      {answer && inputs && (
        <form
          className="cr-form cr-quota-form"
          aria-label="Student quotas"
          onSubmit={(e) => {
            e.preventDefault();
            setSaved(false);
            const change = quotaChanges(answer.class, inputs);
            if ('problem' in change) {
              setLocal(change);
              return;
            }
            setLocal(null);
            void form.run(async () => {
              const a = await classroomApi.setClassQuotas(classId, change.body);
              setAnswer(a);
              setInputs(quotaInputs(a.class));
              setSaved(true);
            });
          }}
        >
          <div className="cr-quota-fields">
            {QUOTA_KEYS.map((k) => (
              <Field
                key={k}
                label={QUOTA_LABELS[k]}
                name={k}
                className="narrow"
                inputMode="numeric"
                value={inputs[k]}
                placeholder={String(answer.server[k])}
                onChange={(v) => {
                  setInputs({ ...inputs, [k]: v });
                  setSaved(false);
                  if (local?.field === k) setLocal(null);
                  if (form.error) form.clear();
                }}
                error={local?.field === k ? local.problem : form.errorFor(k)}
                hint={
                  <>
                    server: {answer.server[k]}
                    {answer.class[k] !== null && answer.class[k]! > answer.server[k] && ' (raised by an admin)'}
                  </>
                }
              />
            ))}
          </div>
          <div className="row">
            <button type="submit" className="primary" disabled={form.busy}>
              {form.busy ? 'Saving…' : 'Save quotas'}
            </button>
          </div>
          <FormMessage message={form.formMessage} />
          {saved && (
            <p className="cr-ok" role="status">
              Saved.
            </p>
          )}
        </form>
      )}
    </section>
  );
}
