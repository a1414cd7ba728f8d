package main

import (
	"context"
	"errors"
)

// feedCmd administers feeds. Scaffold, to be written.
func feedCmd(ctx context.Context, args []string, e env) error { return errors.New("not yet built") }

// startFeeds starts polling the feeds. Scaffold, to be written.
func (m *Main) startFeeds(ctx context.Context) error { return nil }

// stopFeeds stops polling. Scaffold, to be written.
func (m *Main) stopFeeds() {}
