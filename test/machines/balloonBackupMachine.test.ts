// Unit tests of the backup's copy of a ballooned VM (M1 with M10): images apply in epoch order, reclaimed pages
// become zeros without their bytes being sent, late images are ignored; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import { balloonBackupMachine, balloonBackupSampleEvents } from '../../machines/balloonBackupMachine.js';
import { Driver, expectActorMatchesStepper } from './helpers.js';

const input = { pages: 3, pageBytes: 4 };
const image = (epoch: number, gfns: number[], bytes: number[][], reclaimed: number[]) => ({
  type: 'bbackup.image' as const,
  ...{ vm: 0, epoch, gfns, pages: bytes.map((b) => new Uint8Array(b)), reclaimed },
});
const bytesOf = (d: Driver<typeof balloonBackupMachine>) => d.context.image.map((p) => [...p]);

describe('balloonBackupMachine', () => {
  it('applies a newer image: sent pages by their bytes, reclaimed ones as zeros', () => {
    const d = new Driver(balloonBackupMachine, input);
    d.send(
      image(
        1,
        [0, 1, 2],
        [
          [1, 0, 0, 0],
          [2, 0, 0, 0],
          [3, 0, 0, 0],
        ],
        [],
      ),
    );
    d.send(image(2, [1], [[9, 9, 0, 0]], [0, 2]));
    expect(bytesOf(d)).toEqual([[], [9, 9, 0, 0], []]);
    expect([d.context.epoch, d.context.stats.pagesReceived]).toEqual([2, 4]);
  });

  it('ignores a late image of an older epoch', () => {
    const d = new Driver(balloonBackupMachine, input);
    d.send(image(2, [0], [[5, 0, 0, 0]], []));
    d.send(image(1, [0], [[7, 0, 0, 0]], []));
    expect(bytesOf(d)[0]).toEqual([5, 0, 0, 0]);
    expect(d.context.stats).toEqual({ applied: 1, stale: 1, pagesReceived: 1 });
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { snapshot } = expectActorMatchesStepper(balloonBackupMachine, input, balloonBackupSampleEvents);
    expect(snapshot.context.epoch).toBe(2);
  });
});
