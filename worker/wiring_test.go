package worker_test

import (
	"errors"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/worker"
)

// queueSpy keeps the QueueConfig Wire hands the store.
type queueSpy struct {
	store.Store
	got store.QueueConfig
}

func (s *queueSpy) NewQueue(qc store.QueueConfig) (store.Queue, error) {
	s.got = qc
	return s.Store.NewQueue(qc)
}

// TestWire: the one wiring of serve and the demo validates its
// configuration and schedules polling and the nightly run as asked.
func TestWire(t *testing.T) {
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := worker.Wire(worker.Wiring{}); !errors.Is(err, worker.ErrConfig) {
		t.Fatalf("empty wiring: %v", err)
	}
	st := storetest.OpenSQLite(t, storetest.Options{})
	endpoint := func(py *payers.Payer) (transport.Endpoint, error) {
		return worker.EndpointFor(py, transport.Auth{PasswordEnv: "X"}, true), nil
	}
	for _, tc := range []struct {
		name string
		w    worker.Wiring
		want []string
	}{
		{"everything", worker.Wiring{Pipeline: worker.Config{Endpoint: endpoint, PollPayers: []string{"KHP01"}}},
			[]string{"nightly_all", "claim_status_all", "train_models_all", "poll_inbound_KHP01"}},
		{"no poll", worker.Wiring{NoPoll: true, Pipeline: worker.Config{Endpoint: endpoint}}, []string{"nightly_all", "claim_status_all", "train_models_all"}},
		{"no poll, no nightly", worker.Wiring{NoPoll: true, Pipeline: worker.Config{Endpoint: endpoint, NoNightly: true}}, nil},
		{"no periodic", worker.Wiring{NoPeriodic: true, Pipeline: worker.Config{Endpoint: endpoint}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spy := &queueSpy{Store: st}
			tc.w.Store, tc.w.Payers = spy, reg
			w, err := worker.Wire(tc.w)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if w.Billing == nil || w.Scheduling == nil || w.Scrubber == nil || w.Queue == nil {
				t.Fatalf("wired %+v", w)
			}
			if got := len(spy.got.PeriodicJobs); got != len(tc.want) {
				t.Errorf("%d periodic jobs, want %v", got, tc.want)
			}
		})
	}
}

// TestRemittanceDelayConfig: a negative hold is refused except
// NoRemittanceDelay, which holds no 835 back.
func TestRemittanceDelayConfig(t *testing.T) {
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.OpenSQLite(t, storetest.Options{})
	endpoint := func(py *payers.Payer) (transport.Endpoint, error) {
		return worker.EndpointFor(py, transport.Auth{PasswordEnv: "X"}, true), nil
	}
	for _, tc := range []struct {
		delay time.Duration
		ok    bool
	}{{0, true}, {time.Second, true}, {worker.NoRemittanceDelay, true}, {-2, false}, {-time.Minute, false}} {
		w, err := worker.Wire(worker.Wiring{Store: st, Payers: reg, NoPeriodic: true,
			Pipeline: worker.Config{Endpoint: endpoint, RemittanceDelay: tc.delay}})
		if (err == nil) != tc.ok {
			t.Errorf("remittance delay %v: error %v, want ok %v", tc.delay, err, tc.ok)
		}
		if err == nil {
			w.Close()
		} else if !errors.Is(err, worker.ErrConfig) {
			t.Errorf("remittance delay %v: error %v, want %v", tc.delay, err, worker.ErrConfig)
		}
	}
}
