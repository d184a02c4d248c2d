// "Capture…" in the inspector: opens the capture panel's start form for one interface.
import type { JSX } from 'react';
import { useLab } from '../lab/context.ts';
import { requestCapture } from './capture-store.ts';

export function CaptureButton({ node, iface, kind }: { node: string; iface: string; kind?: string }): JSX.Element {
  const { lab } = useLab();
  return (
    <button
      type="button"
      className="small"
      data-capture-target={`${node}:${iface}`}
      title={`Capture packets on ${iface} (tcpdump inside the lab)`}
      onClick={(e) => {
        // Inside a <summary>: open the form, do not also fold the details.
        e.preventDefault();
        requestCapture(lab, { node, iface, ...(kind ? { kind } : {}) });
      }}
    >
      Capture…
    </button>
  );
}
